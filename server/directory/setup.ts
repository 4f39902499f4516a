import "server-only";
import { escapeFilter, type Client, type Entry } from "ldapts";
import { asc } from "drizzle-orm";
import { db } from "@/db";
import { catalogCredentials, privileges } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { decide, IMPLICIT_SIDS, inheritedByChild, parseDacl, RIGHT, SCHEMA, type Ace, type Verdict } from "./acl";
import { sidToString } from "./binary";
import { serviceConnection } from "./connection";
import { detectPamFeature } from "./domain";
import { buf, guidRef, str } from "./entries";
import { DACL_SECURITY_INFORMATION, protectedGroupSids, SdFlagsControl } from "./protected";
import { commandsFor, quotable, type Commands, type Delegation, type ServiceAccount } from "./setup-commands";

/*
 * The setup assistant (directory page): what the service account needs for the configuration as
 * it stands, whether it has it — read from the objects' own DACLs and the account's tokenGroups, as
 * the DC would decide — and the commands that give it. Checks only read; nothing here changes the
 * directory.
 */

export type CheckState = "ok" | "missing" | "not-needed";

export interface CheckedObject {
  dn: string;
  verdict: Verdict | "absent" | "unreadable";
}

export interface SetupCheck {
  id: "published-groups" | "temporary-groups" | "managed-accounts" | "protected-accounts" | "pam-feature";
  title: string;
  why: string;
  /** Whether the configuration uses it, and why (or why not). */
  needed: boolean;
  neededBecause: string;
  state: CheckState;
  detail: string;
  /** Objects checked (at most OBJECTS_SHOWN), those lacking the right first; `counts` covers them all. */
  objects: CheckedObject[];
  counts: { checked: number; ok: number };
  delegations: { target: string; commands: Commands }[];
  /** Containers whose DN cannot go into a pasted command safely (quotes, `$`, `%`, …): delegate these by hand. */
  byHand: string[];
  warning: string | null;
}

export interface SetupPlan {
  account: ServiceAccount & { dn: string };
  dcHost: string;
  checks: SetupCheck[];
  checkedAt: Date;
}

const OBJECTS_SHOWN = 50;
const MEMBER_TYPES = [SCHEMA.memberAttribute, SCHEMA.membershipPropertySet];
const sdControl = () => new SdFlagsControl(DACL_SECURITY_INFORMATION);

/** The DN of the container holding `dn` (the part after its first unescaped comma). */
export function parentDn(dn: string): string {
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === "\\") i++;
    else if (dn[i] === ",") return dn.slice(i + 1).trim();
  }
  return dn;
}

async function readServiceAccount(c: Client): Promise<{ account: ServiceAccount & { dn: string }; sids: Set<string>; rootDse: Entry }> {
  const {
    searchEntries: [root],
  } = await c.search("", { scope: "base", filter: "(objectClass=*)", attributes: ["configurationNamingContext", "rootDomainNamingContext", "dnsHostName"] });
  const {
    searchEntries: [me],
  } = await c.search(env.LDAP_BIND_DN, {
    scope: "base",
    filter: "(objectClass=*)",
    attributes: ["objectSid", "sAMAccountName", "tokenGroups"],
    explicitBufferAttributes: ["objectSid", "tokenGroups"],
  });
  if (!root || !me) throw new Error("The service account or the rootDSE could not be read");
  const configNc = str(root, "configurationNamingContext");
  const { searchEntries: crossRefs } = await c.search(`CN=Partitions,${configNc}`, {
    scope: "one",
    filter: escapeFilter`(nCName=${env.LDAP_BASE_DN})`,
    attributes: ["nETBIOSName"],
  });
  const sid = sidToString(buf(me, "objectSid"));
  const groups = ([] as unknown[]).concat(me.tokenGroups ?? []).filter((v): v is Buffer => Buffer.isBuffer(v));
  const sids = new Set<string>([sid, ...IMPLICIT_SIDS, ...groups.map(sidToString)]);
  const netbiosName = (crossRefs[0] && str(crossRefs[0], "nETBIOSName")) ?? domainLabel(env.LDAP_BASE_DN).toUpperCase();
  return { account: { dn: me.dn, sid, sam: str(me, "sAMAccountName") ?? "", netbiosName }, sids, rootDse: root };
}

/** The first DC= label of a DN (a fallback NetBIOS name). */
function domainLabel(dn: string): string {
  return /DC=([^,]+)/i.exec(dn)?.[1] ?? "DOMAIN";
}

function dnsNameOf(dn: string): string {
  return [...dn.matchAll(/DC=([^,]+)/gi)].map((m) => m[1]).join(".");
}

/** The DACL of every object named, by GUID (`<GUID=…>` reads, a few at a time; objects not found are left out). */
async function daclsByGuid(c: Client, guids: string[]): Promise<Map<string, { dn: string; aces: Ace[] | null }>> {
  const out = new Map<string, { dn: string; aces: Ace[] | null }>();
  for (let i = 0; i < guids.length; i += 8) {
    await Promise.all(
      guids.slice(i, i + 8).map(async (guid) => {
        const found = await entryAt(c, guidRef(guid));
        if (found !== "absent") out.set(guid.toLowerCase(), { dn: found.dn, aces: daclOf(found) });
      }),
    );
  }
  return out;
}

function daclOf(e: Entry): Ace[] | null {
  const v = e.nTSecurityDescriptor;
  const first = Array.isArray(v) ? v[0] : v;
  if (!Buffer.isBuffer(first) || first.length === 0) return null;
  return parseDacl(first);
}

async function entryAt(c: Client, dn: string): Promise<Entry | "absent"> {
  try {
    const {
      searchEntries: [e],
    } = await c.search(
      dn,
      { scope: "base", filter: "(objectClass=*)", attributes: ["nTSecurityDescriptor"], explicitBufferAttributes: ["nTSecurityDescriptor"] },
      sdControl(),
    );
    return e ?? "absent";
  } catch (err) {
    if ((err as { code?: number }).code === 32) return "absent";
    throw err;
  }
}

async function daclAt(c: Client, dn: string): Promise<Ace[] | null | "absent"> {
  const e = await entryAt(c, dn);
  return e === "absent" ? e : daclOf(e);
}

function verdictOf(aces: Ace[] | null | "absent", check: (aces: Ace[]) => Verdict): CheckedObject["verdict"] {
  if (aces === "absent") return "absent";
  if (aces === null) return "unreadable";
  return check(aces);
}

function summarize(objects: CheckedObject[]) {
  const ok = objects.filter((o) => o.verdict === "allowed").length;
  const sorted = [...objects].sort((a, b) => Number(a.verdict === "allowed") - Number(b.verdict === "allowed") || a.dn.localeCompare(b.dn));
  return { objects: sorted.slice(0, OBJECTS_SHOWN), counts: { checked: objects.length, ok } };
}

/** One delegation per container of the objects lacking the right (of all objects when none lacks it). */
function containerDelegations(kind: "write-member" | "reset-password", objects: CheckedObject[], account: ServiceAccount, dcHost: string) {
  const lacking = objects.filter((o) => o.verdict !== "allowed");
  const containers = [...new Set((lacking.length > 0 ? lacking : objects).map((o) => parentDn(o.dn)))].sort();
  return {
    delegations: containers.filter(quotable).map((dn) => ({ target: dn, commands: commandsFor({ kind, dn } as Delegation, account, dcHost) })),
    byHand: containers.filter((dn) => !quotable(dn)),
  };
}

function stateOf(needed: boolean, objects: CheckedObject[]): CheckState {
  const allOk = objects.every((o) => o.verdict === "allowed");
  if (allOk && objects.length > 0) return "ok";
  return needed ? "missing" : "not-needed";
}

/** The setup assistant's plan: every check with its commands. Admins only. */
export async function directorySetupPlan(user: SessionUser): Promise<SetupPlan> {
  assertCan(user, "read", "Directory");
  const published = await db
    .select({ name: privileges.name, guid: privileges.groupGuid, dn: privileges.groupDn, sid: privileges.groupSid, mechanism: privileges.mechanism })
    .from(privileges)
    .orderBy(asc(privileges.name));
  const managed = (
    await db
      .select({ guid: catalogCredentials.objectGuid, dn: catalogCredentials.dn, managed: catalogCredentials.managed, present: catalogCredentials.present })
      .from(catalogCredentials)
  ).filter((r) => r.managed && r.present && r.guid !== null);
  const protectedSids = await protectedGroupSids();
  const pamEnabled = await detectPamFeature();
  const dcHost = new URL(env.LDAP_URL[0]!).hostname;

  return serviceConnection().run("Check the service account's delegations", async (c) => {
    const { account, sids, rootDse } = await readServiceAccount(c);
    const can = (wanted: Parameters<typeof decide>[2]) => (aces: Ace[]) => decide(aces, sids, wanted);
    const checks: SetupCheck[] = [];

    // 1. Write `member` on every published group.
    const groupDacls = await daclsByGuid(
      c,
      published.map((p) => p.guid),
    );
    const groupObjects = published.map((p) => {
      const found = groupDacls.get(p.guid.toLowerCase());
      return {
        dn: found?.dn ?? p.dn,
        verdict: found ? verdictOf(found.aces, can({ mask: RIGHT.WRITE_PROPERTY, objectTypes: MEMBER_TYPES })) : ("absent" as const),
      };
    });
    checks.push({
      id: "published-groups",
      title: "Write the members of the published groups",
      why: "Interim adds and removes people in the groups its privileges publish. Nothing else: delegate `member` on groups, not full control.",
      needed: published.length > 0,
      neededBecause: published.length > 0 ? `${published.length} privilege(s) publish a group` : "No privilege is published yet",
      state: stateOf(published.length > 0, groupObjects),
      detail:
        published.length === 0
          ? "Publish a privilege and its group is checked here."
          : `${groupObjects.filter((o) => o.verdict === "allowed").length} of ${groupObjects.length} group(s) writable`,
      ...summarize(groupObjects),
      ...containerDelegations("write-member", groupObjects, account, dcHost),
      warning: null,
    });

    // 2. The temporary-group OU: create and delete groups, write their members.
    const tempOu = env.TEMP_GROUP_OU;
    const usesTemp = published.some((p) => p.mechanism === "temporary-group");
    if (tempOu) {
      const ouAces = await daclAt(c, tempOu);
      const verdict = verdictOf(ouAces, (aces) => {
        const child = inheritedByChild(aces, SCHEMA.groupClass);
        const create = decide(aces, sids, { mask: RIGHT.CREATE_CHILD, objectTypes: [SCHEMA.groupClass] });
        const remove = decide(aces, sids, { mask: RIGHT.DELETE_CHILD, objectTypes: [SCHEMA.groupClass] });
        const removeOwn = decide(child, sids, { mask: RIGHT.DELETE });
        const member = decide(child, sids, { mask: RIGHT.WRITE_PROPERTY, objectTypes: MEMBER_TYPES });
        if ([create, member].includes("denied")) return "denied";
        if (create !== "allowed" || member !== "allowed") return "not-granted";
        return remove === "allowed" || removeOwn === "allowed" ? "allowed" : remove === "denied" ? "denied" : "not-granted";
      });
      const objects = [{ dn: tempOu, verdict }];
      checks.push({
        id: "temporary-groups",
        title: "Create and delete groups in the temporary-group OU",
        why: "The temporary-group mechanism creates one group per grant in TEMP_GROUP_OU, nests it in the privilege's group and deletes it when the grant ends.",
        needed: usesTemp,
        neededBecause: usesTemp ? "A privilege uses the temporary-group mechanism" : "No privilege uses the temporary-group mechanism",
        state: stateOf(usesTemp, objects),
        detail:
          verdict === "absent"
            ? `${tempOu} does not exist`
            : verdict === "allowed"
              ? "Create, delete and write members: in place"
              : "The service account cannot create, delete or fill groups there",
        ...summarize(objects),
        delegations: quotable(tempOu) ? [{ target: tempOu, commands: commandsFor({ kind: "temporary-groups", dn: tempOu }, account, dcHost) }] : [],
        byHand: quotable(tempOu) ? [] : [tempOu],
        warning: null,
      });
    }

    // 3. Reset Password on managed privileged accounts.
    const accountDacls = await daclsByGuid(
      c,
      managed.map((m) => m.guid!),
    );
    const accountObjects = managed.map((m) => {
      const found = accountDacls.get(m.guid!.toLowerCase());
      return {
        dn: found?.dn ?? m.dn ?? m.guid!,
        verdict: found ? verdictOf(found.aces, can({ mask: RIGHT.CONTROL_ACCESS, objectTypes: [SCHEMA.resetPasswordRight] })) : ("absent" as const),
      };
    });
    checks.push({
      id: "managed-accounts",
      title: "Reset the passwords of managed accounts",
      why: "For a session on a device Interim sets a fresh random password on a managed privileged account before the session and again after it.",
      needed: managed.length > 0,
      neededBecause: managed.length > 0 ? `${managed.length} catalog account(s) are managed` : "No catalog account is managed",
      state: stateOf(managed.length > 0, accountObjects),
      detail:
        managed.length === 0
          ? "Mark a catalog account as managed and it is checked here."
          : `${accountObjects.filter((o) => o.verdict === "allowed").length} of ${accountObjects.length} account(s)`,
      ...summarize(accountObjects),
      ...containerDelegations("reset-password", accountObjects, account, dcHost),
      warning: null,
    });

    // 4. AdminSDHolder: adminCount and the DACL of protected accounts (leftover clean-up).
    const protectedPrivileges = published.filter((p) => p.sid !== null && protectedSids.has(p.sid));
    const holderDn = `CN=AdminSDHolder,CN=System,${env.LDAP_BASE_DN}`;
    const holderVerdict = verdictOf(await daclAt(c, holderDn), (aces) => {
      const count = decide(aces, sids, { mask: RIGHT.WRITE_PROPERTY, objectTypes: [SCHEMA.adminCountAttribute] });
      const dacl = decide(aces, sids, { mask: RIGHT.WRITE_DAC });
      if (count === "denied" || dacl === "denied") return "denied";
      return count === "allowed" && dacl === "allowed" ? "allowed" : "not-granted";
    });
    const holderObjects = [{ dn: holderDn, verdict: holderVerdict }];
    checks.push({
      id: "protected-accounts",
      title: "Clear adminCount and restore inheritance on protected accounts",
      why: 'When a grant to a protected group (Domain Admins, Administrators, …) ends, Interim clears the adminCount and "inheritance disabled" that SDProp left on the account. Without these rights the clean-up fails (audited) and access still ends.',
      needed: protectedPrivileges.length > 0,
      neededBecause:
        protectedPrivileges.length > 0
          ? `${protectedPrivileges.map((p) => p.name).join(", ")} grant(s) a protected group`
          : "No privilege grants a protected group",
      state: stateOf(protectedPrivileges.length > 0, holderObjects),
      detail: holderVerdict === "allowed" ? "Write adminCount and Modify permissions on AdminSDHolder: in place" : "Not granted on AdminSDHolder",
      ...summarize(holderObjects),
      delegations: quotable(holderDn) ? [{ target: holderDn, commands: commandsFor({ kind: "admin-sd-holder", dn: holderDn }, account, dcHost) }] : [],
      byHand: quotable(holderDn) ? [] : [holderDn],
      warning:
        "Modify permissions on protected accounts lets the service account change the permissions of every Domain Admin. Grant it only if the automatic clean-up is worth that; otherwise clear leftovers by hand.",
    });

    // 5. The forest's PAM feature (TTL memberships).
    const usesTtl = published.some((p) => p.mechanism === "ttl");
    const forest = dnsNameOf(str(rootDse, "rootDomainNamingContext") ?? env.LDAP_BASE_DN);
    checks.push({
      id: "pam-feature",
      title: "Enable the Privileged Access Management feature (optional)",
      why: "With the forest's PAM feature, memberships carry a time to live and the DC itself ends them, even if Interim is down. Without it Interim removes them itself.",
      needed: usesTtl,
      neededBecause: usesTtl ? "A privilege uses the TTL mechanism" : "No privilege uses the TTL mechanism",
      state: pamEnabled ? "ok" : usesTtl ? "missing" : "not-needed",
      detail: pamEnabled ? "Enabled in this forest" : "Not enabled (Samba AD does not offer it)",
      objects: [],
      counts: { checked: 0, ok: 0 },
      delegations: quotable(forest) ? [{ target: forest, commands: commandsFor({ kind: "pam-feature", forest }, account, dcHost) }] : [],
      byHand: quotable(forest) ? [] : [forest],
      warning: "Enabling it cannot be undone and needs the Windows Server 2016 forest functional level.",
    });

    return { account, dcHost, checks, checkedAt: new Date() };
  });
}
