import { Attribute, Change, escapeFilter, type Entry, ResultCodeError } from "ldapts";
import { env } from "@/server/env";
import { applyInBatches, type BatchResult } from "./batching";
import { guidToString, sidToString } from "./binary";
import { bindFirstReachable, serviceConnection } from "./connection";
import { DirectoryError, toDirectoryError } from "./errors";

export interface DirectoryUser {
  dn: string;
  username: string;
  displayName: string;
  email: string | null;
  objectGuid: string;
  objectSid: string;
  disabled: boolean;
}

export interface DirectoryGroup {
  dn: string;
  name: string;
  description: string;
  objectGuid: string;
  objectSid: string;
}

export interface DomainControllerInfo {
  hostName: string;
  serverDn: string;
  site: string;
}

/** LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nesting. */
export const IN_CHAIN = "1.2.840.113556.1.4.1941";
const BINARY = ["objectGUID", "objectSid"];
const UF_ACCOUNTDISABLE = 0x2;
const PAM_FEATURE_CN = "Privileged Access Management Feature";

function str(entry: Entry, attr: string): string | null {
  const v = entry[attr];
  if (v === undefined) return null;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return null;
  return Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
}

function strs(entry: Entry, attr: string): string[] {
  const v = entry[attr];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString("utf8") : String(x)));
}

function buf(entry: Entry, attr: string): Buffer {
  const v = entry[attr];
  const first = Array.isArray(v) ? v[0] : v;
  if (!Buffer.isBuffer(first)) throw new DirectoryError("other", `${entry.dn} has no binary ${attr}`);
  return first;
}

function toUser(e: Entry): DirectoryUser {
  const uac = Number(str(e, "userAccountControl") ?? 0);
  return {
    dn: e.dn,
    username: (str(e, "sAMAccountName") ?? "").toLowerCase(),
    displayName: str(e, "displayName") ?? str(e, "cn") ?? str(e, "sAMAccountName") ?? e.dn,
    email: str(e, "mail"),
    objectGuid: guidToString(buf(e, "objectGUID")),
    objectSid: sidToString(buf(e, "objectSid")),
    disabled: (uac & UF_ACCOUNTDISABLE) !== 0,
  };
}

function toGroup(e: Entry): DirectoryGroup {
  return {
    dn: e.dn,
    name: str(e, "cn") ?? e.dn,
    description: str(e, "description") ?? "",
    objectGuid: guidToString(buf(e, "objectGUID")),
    objectSid: sidToString(buf(e, "objectSid")),
  };
}

const USER_ATTRS = ["sAMAccountName", "displayName", "cn", "mail", "objectGUID", "objectSid", "userAccountControl"];
const GROUP_ATTRS = ["cn", "description", "objectGUID", "objectSid"];

/** Accepts `alice`, `DOMAIN\alice` or `alice@realm`; returns the sAMAccountName/UPN to look up. */
export function normalizeLogin(login: string): { sam: string; upn: string | null } {
  const trimmed = login.trim();
  const slash = trimmed.lastIndexOf("\\");
  if (slash >= 0) return { sam: trimmed.slice(slash + 1), upn: null };
  if (trimmed.includes("@")) return { sam: trimmed.slice(0, trimmed.indexOf("@")), upn: trimmed };
  return { sam: trimmed, upn: null };
}

export async function findUser(login: string): Promise<DirectoryUser | null> {
  const { sam, upn } = normalizeLogin(login);
  if (!sam) return null;
  const filter = upn
    ? escapeFilter`(&(objectCategory=person)(objectClass=user)(|(userPrincipalName=${upn})(sAMAccountName=${sam})))`
    : escapeFilter`(&(objectCategory=person)(objectClass=user)(sAMAccountName=${sam}))`;
  return serviceConnection().run("Find user", async (c) => {
    const { searchEntries } = await c.search(env.LDAP_USER_BASE_DN ?? env.LDAP_BASE_DN, {
      scope: "sub",
      filter,
      attributes: USER_ATTRS,
      explicitBufferAttributes: BINARY,
      sizeLimit: 2,
    });
    if (searchEntries.length !== 1) return null;
    return toUser(searchEntries[0]!);
  });
}

export async function getUserByDn(dn: string): Promise<DirectoryUser | null> {
  return serviceConnection().run("Read user", async (c) => {
    try {
      const { searchEntries } = await c.search(dn, {
        scope: "base",
        filter: "(objectClass=user)",
        attributes: USER_ATTRS,
        explicitBufferAttributes: BINARY,
      });
      return searchEntries[0] ? toUser(searchEntries[0]) : null;
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 32) return null;
      throw err;
    }
  });
}

/**
 * Verifies a user's password by binding as them, on a connection of its own. Empty passwords
 * are refused here: LDAP treats them as an anonymous ("unauthenticated") bind that succeeds.
 */
export async function verifyPassword(dn: string, password: string): Promise<boolean> {
  if (password.length === 0) return false;
  try {
    const { client } = await bindFirstReachable(dn, password, "Sign-in bind");
    await client.unbind().catch(() => {});
    return true;
  } catch (err) {
    if (err instanceof DirectoryError && err.kind === "invalid-credentials") return false;
    throw err;
  }
}

export async function searchGroups(query: string, limit = 25): Promise<DirectoryGroup[]> {
  const q = query.trim();
  const filter = q
    ? escapeFilter`(&(objectClass=group)(|(cn=*${q}*)(sAMAccountName=*${q}*)(description=*${q}*)))`
    : "(objectClass=group)";
  return serviceConnection().run("Search groups", async (c) => {
    const { searchEntries } = await c.search(env.LDAP_PRIVILEGE_BASE_DN ?? env.LDAP_BASE_DN, {
      scope: "sub",
      filter,
      attributes: GROUP_ATTRS,
      explicitBufferAttributes: BINARY,
      sizeLimit: limit,
    }).catch((err: unknown) => {
      // A size limit hit still means "more than `limit`": return what we asked for.
      if (err instanceof ResultCodeError && err.code === 4) return { searchEntries: [] as Entry[] };
      throw err;
    });
    return searchEntries.map(toGroup).sort((a, b) => a.name.localeCompare(b.name));
  });
}

export async function getGroupByGuid(guid: string): Promise<DirectoryGroup | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(guid)) {
    throw new DirectoryError("invalid-input", "Not a GUID");
  }
  return serviceConnection().run("Read group", async (c) => {
    const { searchEntries } = await c.search(`<GUID=${guid}>`, {
      scope: "base",
      filter: "(objectClass=group)",
      attributes: GROUP_ATTRS,
      explicitBufferAttributes: BINARY,
    }).catch((err: unknown) => {
      if (err instanceof ResultCodeError && err.code === 32) return { searchEntries: [] as Entry[] };
      throw err;
    });
    return searchEntries[0] ? toGroup(searchEntries[0]) : null;
  });
}

/** True when `memberDn` is in `groupDn` directly or through nested groups. */
export async function isNestedMember(memberDn: string, groupDn: string): Promise<boolean> {
  return serviceConnection().run("Check membership", async (c) => {
    const { searchEntries } = await c.search(memberDn, {
      scope: "base",
      filter: `(memberOf:${IN_CHAIN}:=${escapeFilter`${groupDn}`})`,
      attributes: ["distinguishedName"],
    }).catch((err: unknown) => {
      if (err instanceof ResultCodeError && err.code === 32) return { searchEntries: [] as Entry[] };
      throw err;
    });
    return searchEntries.length > 0;
  });
}

/** Direct members of a group, following AD's ranged retrieval (1,500 values per page on Windows). */
export async function listGroupMembers(groupDn: string): Promise<string[]> {
  return serviceConnection().run("List group members", async (c) => {
    const members: string[] = [];
    let start = 0;
    for (;;) {
      const { searchEntries } = await c.search(groupDn, {
        scope: "base",
        filter: "(objectClass=group)",
        attributes: [`member;range=${start}-*`],
      });
      const entry = searchEntries[0];
      if (!entry) throw new DirectoryError("not-found", `Group not found: ${groupDn}`);
      const key = Object.keys(entry).find((k) => k.toLowerCase() === "member" || k.toLowerCase().startsWith("member;range="));
      if (!key) return members;
      members.push(...strs(entry, key));
      const range = /;range=\d+-(\d+|\*)$/i.exec(key);
      if (!range || range[1] === "*") return members;
      start = Number(range[1]) + 1;
    }
  });
}

type MemberOp = "add" | "delete";

/** AD answers "already there" with 68 (or 20) and "already gone" with 53 (or 16). */
function isConflict(op: MemberOp, err: unknown): boolean {
  if (!(err instanceof ResultCodeError)) return false;
  return op === "add" ? err.code === 68 || err.code === 20 : err.code === 53 || err.code === 16;
}

async function changeMembers(op: MemberOp, groupDn: string, memberDns: string[], batchSize: number): Promise<BatchResult<string>> {
  const unique = [...new Set(memberDns)];
  return serviceConnection().run(op === "add" ? "Add group member" : "Remove group member", (c) =>
    applyInBatches(unique, batchSize, async (batch) => {
      try {
        await c.modify(
          groupDn,
          new Change({ operation: op, modification: new Attribute({ type: "member", values: batch }) }),
        );
        return "applied";
      } catch (err) {
        if (isConflict(op, err)) return "conflict";
        throw err;
      }
    }),
  );
}

/** Idempotent: members already present count as done. Many members go in one modify per batch. */
export function addMembers(groupDn: string, memberDns: string[], batchSize = env.LDAP_MODIFY_BATCH_SIZE) {
  return changeMembers("add", groupDn, memberDns, batchSize);
}

/** Idempotent: members already absent count as done. */
export function removeMembers(groupDn: string, memberDns: string[], batchSize = env.LDAP_MODIFY_BATCH_SIZE) {
  return changeMembers("delete", groupDn, memberDns, batchSize);
}

async function rootDse(): Promise<Entry> {
  return serviceConnection().run("Read rootDSE", async (c) => {
    const { searchEntries } = await c.search("", {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["defaultNamingContext", "configurationNamingContext", "dnsHostName"],
    });
    if (!searchEntries[0]) throw new DirectoryError("other", "The directory returned no rootDSE");
    return searchEntries[0];
  });
}

/** The domain's DCs, from their nTDSDSA ("NTDS Settings") objects in the configuration partition. */
export async function listDomainControllers(): Promise<DomainControllerInfo[]> {
  const configNc = str(await rootDse(), "configurationNamingContext");
  if (!configNc) throw new DirectoryError("other", "rootDSE has no configurationNamingContext");
  return serviceConnection().run("List domain controllers", async (c) => {
    const sites = `CN=Sites,${configNc}`;
    const dsas = await c.search(sites, { scope: "sub", filter: "(objectClass=nTDSDSA)", attributes: ["objectClass"] });
    const servers = await c.search(sites, { scope: "sub", filter: "(objectClass=server)", attributes: ["dNSHostName"] });
    const hostByServer = new Map(servers.searchEntries.map((e) => [e.dn.toLowerCase(), str(e, "dNSHostName")]));
    return dsas.searchEntries
      .map((e) => {
        const serverDn = e.dn.slice(e.dn.indexOf(",") + 1);
        const siteMatch = /CN=Servers,CN=([^,]+),CN=Sites,/i.exec(serverDn);
        return {
          hostName: hostByServer.get(serverDn.toLowerCase()) ?? serverDn,
          serverDn,
          site: siteMatch?.[1] ?? "",
        };
      })
      .sort((a, b) => a.hostName.localeCompare(b.hostName));
  });
}

/**
 * Whether the forest's Privileged Access Management optional feature is enabled (TTL
 * memberships). Enabled forest-wide features are listed in msDS-EnabledFeature of CN=Partitions.
 * Samba has no such feature object, so this says false there.
 */
export async function detectPamFeature(): Promise<boolean> {
  const configNc = str(await rootDse(), "configurationNamingContext");
  return serviceConnection().run("Detect PAM feature", async (c) => {
    const { searchEntries } = await c.search(`CN=Partitions,${configNc}`, {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["msDS-EnabledFeature"],
    });
    const enabled = searchEntries[0] ? strs(searchEntries[0], "msDS-EnabledFeature") : [];
    return enabled.some((dn) => dn.toUpperCase().startsWith(`CN=${PAM_FEATURE_CN.toUpperCase()},`));
  });
}

export async function readDomainPolicy(): Promise<{ domainDn: string; lockoutThreshold: number }> {
  const domainDn = str(await rootDse(), "defaultNamingContext") ?? env.LDAP_BASE_DN;
  return serviceConnection().run("Read domain policy", async (c) => {
    const { searchEntries } = await c.search(domainDn, { scope: "base", filter: "(objectClass=*)", attributes: ["lockoutThreshold"] });
    return { domainDn, lockoutThreshold: Number(searchEntries[0] ? (str(searchEntries[0], "lockoutThreshold") ?? 0) : 0) };
  });
}

export { DirectoryError, toDirectoryError };
