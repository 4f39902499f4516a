import "server-only";
import { Attribute, BerWriter, Change, Control, escapeFilter, type Entry, ResultCodeError } from "ldapts";
import { env } from "@/server/env";
import { applyInBatches, type BatchResult } from "./batching";
import { guidToString, sidToString } from "./binary";
import { bindFirstReachable, serviceConnection } from "./connection";
import { buf, guidRef, IN_CHAIN, str, strs } from "./entries";
import { DirectoryError, toDirectoryError } from "./errors";
import { assertGroupMayBeGranted } from "./identity";
import { ttlMemberValue } from "./ttl";

export { buf, guidRef, IN_CHAIN, str, strs };

export interface DirectoryUser {
  dn: string;
  username: string;
  displayName: string;
  email: string | null;
  objectGuid: string;
  objectSid: string;
  disabled: boolean;
  /** Failed logons AD counts for this account (on the DC we asked), and when the last one was. */
  badPwdCount: number;
  badPasswordTime: Date | null;
}

export interface DirectoryGroup {
  dn: string;
  name: string;
  description: string;
  objectGuid: string;
  objectSid: string;
}

const BINARY = ["objectGUID", "objectSid"];
const UF_ACCOUNTDISABLE = 0x2;

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
    badPwdCount: Number(str(e, "badPwdCount") ?? 0),
    badPasswordTime: fileTimeToDate(str(e, "badPasswordTime")),
  };
}

/** AD FILETIME (100 ns since 1601-01-01) → Date; 0 means never. */
export function fileTimeToDate(raw: string | null): Date | null {
  if (!raw || raw === "0") return null;
  const ms = Number(BigInt(raw) / 10_000n) - 11_644_473_600_000;
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : null;
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

const USER_ATTRS = ["sAMAccountName", "displayName", "cn", "mail", "objectGUID", "objectSid", "userAccountControl", "badPwdCount", "badPasswordTime"];
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

/** A user by DN or by `<GUID=…>` reference. */
export async function getUser(ref: string): Promise<DirectoryUser | null> {
  return serviceConnection().run("Read user", async (c) => {
    try {
      const { searchEntries } = await c.search(ref, {
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
  const filter = q ? escapeFilter`(&(objectClass=group)(|(cn=*${q}*)(sAMAccountName=*${q}*)(description=*${q}*)))` : "(objectClass=group)";
  return serviceConnection().run("Search groups", async (c) => {
    // One page of a paged search: AD fails a plain search over its size limit, Samba ignores sizeLimit.
    const found: DirectoryGroup[] = [];
    for await (const page of c.searchPaginated(env.LDAP_PRIVILEGE_BASE_DN ?? env.LDAP_BASE_DN, {
      scope: "sub",
      filter,
      attributes: GROUP_ATTRS,
      explicitBufferAttributes: BINARY,
      paged: { pageSize: limit },
    })) {
      found.push(...page.searchEntries.map(toGroup));
      break;
    }
    return found.slice(0, limit).sort((a, b) => a.name.localeCompare(b.name));
  });
}

export async function getGroupByGuid(guid: string): Promise<DirectoryGroup | null> {
  const ref = guidRef(guid);
  return serviceConnection().run("Read group", async (c) => {
    const { searchEntries } = await c
      .search(ref, {
        scope: "base",
        filter: "(objectClass=group)",
        attributes: GROUP_ATTRS,
        explicitBufferAttributes: BINARY,
      })
      .catch((err: unknown) => {
        if (err instanceof ResultCodeError && err.code === 32) return { searchEntries: [] as Entry[] };
        throw err;
      });
    return searchEntries[0] ? toGroup(searchEntries[0]) : null;
  });
}

/** True when `memberDn` is in `groupDn` directly or through nested groups. */
export async function isNestedMember(memberDn: string, groupDn: string): Promise<boolean> {
  return serviceConnection().run("Check membership", async (c) => {
    const { searchEntries } = await c
      .search(memberDn, {
        scope: "base",
        filter: `(memberOf:${IN_CHAIN}:=${escapeFilter`${groupDn}`})`,
        attributes: ["distinguishedName"],
      })
      .catch((err: unknown) => {
        if (err instanceof ResultCodeError && err.code === 32) return { searchEntries: [] as Entry[] };
        throw err;
      });
    return searchEntries.length > 0;
  });
}

/** LDAP_SERVER_EXTENDED_DN_OID with format 1: DN values come back as `<GUID=…>;<SID=…>;CN=…`. */
class ExtendedDnControl extends Control {
  constructor() {
    super("1.2.840.113556.1.4.529", { critical: false });
  }
  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(1);
    value.endSequence();
    writer.writeBuffer(value.buffer, 4);
  }
}

export interface GroupMember {
  guid: string;
  sid: string | null;
  dn: string;
}

/** Parses an extended-DN value (`<GUID=…>;<SID=…>;DN`). */
export function parseExtendedDn(value: string): GroupMember | null {
  const m = /^<GUID=([0-9a-f-]{36})>;(?:<SID=([^>]+)>;)?(.*)$/i.exec(value);
  return m ? { guid: m[1]!.toLowerCase(), sid: m[2] ?? null, dn: m[3]! } : null;
}

/**
 * Direct members of a group (by GUID or DN), with their GUIDs, following AD's ranged retrieval
 * (1,500 values per page on Windows).
 */
export async function listGroupMembers(group: { guid: string } | { dn: string }): Promise<GroupMember[]> {
  const base = "guid" in group ? guidRef(group.guid) : group.dn;
  return serviceConnection().run("List group members", async (c) => {
    const members: GroupMember[] = [];
    let start = 0;
    for (;;) {
      const { searchEntries } = await c.search(
        base,
        { scope: "base", filter: "(objectClass=group)", attributes: [`member;range=${start}-*`] },
        new ExtendedDnControl(),
      );
      const entry = searchEntries[0];
      if (!entry) throw new DirectoryError("not-found", `Group not found: ${base}`);
      const key = Object.keys(entry).find((k) => k.toLowerCase() === "member" || k.toLowerCase().startsWith("member;range="));
      if (!key) return members;
      for (const v of strs(entry, key)) {
        const parsed = parseExtendedDn(v);
        if (parsed) members.push(parsed);
      }
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

async function changeMembers(op: MemberOp, groupGuid: string, memberGuids: string[], batchSize: number, ttlSeconds?: number): Promise<BatchResult<string>> {
  const target = guidRef(groupGuid);
  const unique = [...new Set(memberGuids.map((g) => g.toLowerCase()))];
  unique.forEach(guidRef);
  const value = ttlSeconds === undefined ? guidRef : (guid: string) => ttlMemberValue(guid, ttlSeconds);
  // A bad TTL is refused before anything reaches the directory.
  if (ttlSeconds !== undefined) unique.forEach(value);
  return serviceConnection().run(op === "add" ? "Add group member" : "Remove group member", (c) =>
    applyInBatches(unique, batchSize, async (batch) => {
      try {
        await c.modify(target, new Change({ operation: op, modification: new Attribute({ type: "member", values: batch.map(value) }) }));
        return "applied";
      } catch (err) {
        if (isConflict(op, err)) return "conflict";
        throw err;
      }
    }),
  );
}

/**
 * Idempotent: members already present count as done. Members and group are addressed by GUID,
 * so a renamed or moved account is still the one changed; many members go in one modify per batch.
 * With `ttlSeconds`, every value carries that TTL (`<TTL=…,<GUID=…>>`): only where the forest's
 * PAM feature is on; other DCs reject the value (see ttl.ts).
 */
export async function addMembers(groupGuid: string, memberGuids: string[], opts: AddOptions = {}) {
  return addMembersTo(groupGuid)(memberGuids, opts);
}

type AddOptions = { batchSize?: number; ttlSeconds?: number };

/**
 * addMembers in two steps: the group's check starts now, and the returned function writes once it
 * passed. An activation reads the group's identity while its live policy is rechecked (a few LDAP
 * round trips off each grant's latency); the write still waits for the check, as every add does.
 */
export function addMembersTo(groupGuid: string): (memberGuids: string[], opts?: AddOptions) => Promise<BatchResult<string>> {
  // Every add Interim makes (activation of each mechanism, re-adds by reconcile and drift) passes
  // here: a group that grants Interim administration or the service account's rights is refused,
  // however it got published or nested since (see identity.ts).
  const checked = assertGroupMayBeGranted(groupGuid);
  checked.catch(() => {}); // awaited by the write; a check nobody writes after has no one to tell
  return async (memberGuids, opts = {}) => {
    await checked;
    return changeMembers("add", groupGuid, memberGuids, opts.batchSize ?? env.LDAP_MODIFY_BATCH_SIZE, opts.ttlSeconds);
  };
}

/** Idempotent: members already absent count as done (by GUID, so "absent" is never a stale DN). */
export function removeMembers(groupGuid: string, memberGuids: string[], batchSize = env.LDAP_MODIFY_BATCH_SIZE) {
  return changeMembers("delete", groupGuid, memberGuids, batchSize);
}

export { DirectoryError, toDirectoryError };
