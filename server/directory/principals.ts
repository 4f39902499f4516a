import "server-only";
import { escapeFilter, type Entry } from "ldapts";
import { env } from "@/server/env";
import { guidToString, sidToString } from "./binary";
import { serviceConnection } from "./connection";
import { buf, guidRef, IN_CHAIN, str } from "./entries";

/*
 * People and groups as access-group members and approvers: found by name anywhere under
 * LDAP_BASE_DN, kept by objectGUID, and a person's groups read from tokenGroups (every security
 * group they are in, through any depth of nesting, computed by the DC in one read).
 */

export type PrincipalKind = "user" | "group";

export interface Principal {
  kind: PrincipalKind;
  dn: string;
  /** sAMAccountName (lower-cased) for users, cn for groups. */
  name: string;
  displayName: string;
  objectGuid: string;
  objectSid: string;
  disabled: boolean;
  /** Groups: a security group (in people's tokenGroups); distribution groups never grant anything. */
  securityGroup: boolean;
}

const BINARY = ["objectGUID", "objectSid"];
const ATTRS = ["objectClass", "sAMAccountName", "cn", "displayName", "objectGUID", "objectSid", "userAccountControl", "groupType"];
const UF_ACCOUNTDISABLE = 0x2;
const GROUP_TYPE_SECURITY = 0x80000000;
const PERSON = "(&(objectCategory=person)(objectClass=user))";

function toPrincipal(e: Entry): Principal {
  const classes = ([] as unknown[]).concat(e.objectClass ?? []).map((c) => String(c).toLowerCase());
  const kind: PrincipalKind = classes.includes("group") ? "group" : "user";
  const sam = str(e, "sAMAccountName") ?? "";
  const cn = str(e, "cn") ?? e.dn;
  return {
    kind,
    dn: e.dn,
    name: kind === "user" ? sam.toLowerCase() : cn,
    displayName: str(e, "displayName") ?? cn,
    objectGuid: guidToString(buf(e, "objectGUID")),
    objectSid: sidToString(buf(e, "objectSid")),
    disabled: kind === "user" && (Number(str(e, "userAccountControl") ?? 0) & UF_ACCOUNTDISABLE) !== 0,
    // groupType is a signed 32-bit value; the security flag is its sign bit.
    securityGroup: kind === "group" && (Number(str(e, "groupType") ?? 0) & GROUP_TYPE_SECURITY) !== 0,
  };
}

async function pagedSearch(base: string, filter: string, limit: number, attributes = ATTRS): Promise<Entry[]> {
  return serviceConnection().run("Search directory", async (c) => {
    const found: Entry[] = [];
    for await (const page of c.searchPaginated(base, {
      scope: "sub",
      filter,
      attributes,
      explicitBufferAttributes: BINARY,
      paged: { pageSize: Math.min(limit, 500) },
    })) {
      found.push(...page.searchEntries);
      if (found.length >= limit) break;
    }
    return found.slice(0, limit);
  });
}

/** Users or groups whose name, account name or display name contains the query. */
export async function searchPrincipals(kind: PrincipalKind, query: string, limit = 20): Promise<Principal[]> {
  const q = query.trim();
  const match = q ? escapeFilter`(|(cn=*${q}*)(sAMAccountName=*${q}*)(displayName=*${q}*))` : "";
  const filter = kind === "user" ? `(&${PERSON}${match})` : `(&(objectClass=group)${match})`;
  const entries = await pagedSearch(env.LDAP_USER_BASE_DN ?? env.LDAP_BASE_DN, filter, limit);
  return entries.map(toPrincipal).sort((a, b) => a.name.localeCompare(b.name));
}

export async function getPrincipal(guid: string): Promise<Principal | null> {
  return serviceConnection().run("Read directory object", async (c) => {
    try {
      const { searchEntries } = await c.search(guidRef(guid), {
        scope: "base",
        filter: "(objectClass=*)",
        attributes: ATTRS,
        explicitBufferAttributes: BINARY,
      });
      const [entry] = searchEntries;
      if (!entry) return null;
      const p = toPrincipal(entry);
      const isPerson = ([] as unknown[]).concat(entry.objectClass ?? []).some((c) => String(c).toLowerCase() === "user");
      return p.kind === "group" || isPerson ? p : null;
    } catch (err) {
      if ((err as { code?: number }).code === 32) return null; // noSuchObject
      throw err;
    }
  });
}

/** SIDs of every security group the account is in, nested membership and primary group included. */
export async function tokenGroupSids(userGuid: string): Promise<string[]> {
  return serviceConnection().run("Read group memberships", async (c) => {
    const { searchEntries } = await c.search(guidRef(userGuid), {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["tokenGroups"],
      explicitBufferAttributes: ["tokenGroups"],
    });
    const raw = searchEntries[0]?.tokenGroups;
    const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    return values.filter((v): v is Buffer => Buffer.isBuffer(v)).map(sidToString);
  });
}

/**
 * People in a group through any depth of nesting (at most `limit`), and whether there were more.
 * Those whose primary group it is count too (tokenGroups includes the primary group, memberOf
 * does not), so "Domain Users" shows everyone it really lets in.
 */
export async function nestedUsers(group: { dn: string; objectSid: string | null }, limit = 500): Promise<{ users: Principal[]; truncated: boolean }> {
  const rid = group.objectSid?.split("-").pop();
  const primary = rid && /^\d+$/.test(rid) ? `(primaryGroupID=${rid})` : "";
  const filter = `(&${PERSON}(|(memberOf:${IN_CHAIN}:=${escapeFilter`${group.dn}`})${primary}))`;
  const entries = await pagedSearch(env.LDAP_BASE_DN, filter, limit + 1);
  return {
    users: entries
      .slice(0, limit)
      .map(toPrincipal)
      .sort((a, b) => a.name.localeCompare(b.name)),
    truncated: entries.length > limit,
  };
}

/** A person's `mail` attribute, by objectGUID (notifications to approvers who never signed in). */
export async function mailOf(guid: string): Promise<string | null> {
  return serviceConnection().run("Read mail address", async (c) => {
    try {
      const { searchEntries } = await c.search(guidRef(guid), { scope: "base", filter: "(objectClass=user)", attributes: ["mail"] });
      const mail = searchEntries[0] ? str(searchEntries[0], "mail") : undefined;
      return mail?.trim() || null;
    } catch (err) {
      if ((err as { code?: number }).code === 32) return null; // noSuchObject
      throw err;
    }
  });
}
