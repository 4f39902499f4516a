import "server-only";
import { escapeFilter, type Entry, ResultCodeError } from "ldapts";
import { env } from "@/server/env";
import { refused, unavailable } from "@/server/errors";
import { guidToString, sidToString } from "./binary";
import { serviceConnection } from "./connection";
import { buf, guidRef, IN_CHAIN } from "./entries";
import { tokenGroupSids } from "./principals";

/*
 * Groups Interim must never hand out, known by objectGUID/objectSid rather than by how a DN is
 * spelled: the admin group (INTERIM_ADMIN_GROUP_DN, whatever its spelling — `cn=`, spaces after
 * commas, escapes, `<GUID=…>`, `<SID=…>` — and still after a rename or a move) and every group the
 * service account is in (nested; a requester in one would hold Interim's own rights). A group
 * nested in any of them, at any depth, is refused too. Checked at publish and before every
 * membership add.
 *
 * Protected groups (Domain Admins, built-in operators, adminCount=1) are not refused: handing them
 * out just in time is what Interim is for (issue 5, with the AdminSDHolder cleanup in
 * protected.ts, which knows them by SID).
 *
 * The roots are resolved once and re-read every ROOTS_TTL_MS; the target's own nesting is read at
 * every check, so a published group nested into the admin group later is refused at its next add.
 */

export type ProtectionRule = "admin-group" | "service-account-group";

export interface Protection {
  rule: ProtectionRule;
  /** The group checked, as the directory names it now. */
  groupDn: string;
  /** The root it is (or is nested in). */
  viaDn: string;
}

interface Roots {
  key: string;
  loadedAt: number;
  /** The admin group's GUID(s): the one INTERIM_ADMIN_GROUP_DN names now, and the one it named before (renamed since). */
  adminGuids: Set<string>;
  /** objectSid → why a group with that SID (or nested in it) is refused; the admin group wins over the others. */
  bySid: Map<string, ProtectionRule>;
}

export const ROOTS_TTL_MS = 60_000;

let roots: Roots | undefined;

const rootsKey = () => [env.INTERIM_ADMIN_GROUP_DN, env.LDAP_BIND_DN, env.LDAP_BASE_DN].join("\n");

/** Drops the resolved roots (tests that change AD or the env in-process). */
export function forgetDirectoryIdentities() {
  roots = undefined;
}

/** Makes the next check re-read the roots, as the periodic refresh does (tests); what was known stays known. */
export function expireDirectoryIdentities() {
  if (roots) roots = { ...roots, loadedAt: 0 };
}

async function readBase(ref: string, what: string): Promise<Entry | null> {
  return serviceConnection().run(what, async (c) => {
    const { searchEntries } = await c
      .search(ref, { scope: "base", filter: "(objectClass=*)", attributes: ["objectGUID", "objectSid"], explicitBufferAttributes: ["objectGUID", "objectSid"] })
      .catch((err: unknown) => {
        // 32: no such object; 34: not a DN at all (the variable is misspelled beyond what the DC reads).
        if (err instanceof ResultCodeError && (err.code === 32 || err.code === 34)) return { searchEntries: [] as Entry[] };
        throw err;
      });
    return searchEntries[0] ?? null;
  });
}

/** The bind account: LDAP_BIND_DN may be a DN, a UPN or DOMAIN\name. */
async function serviceAccountGuid(): Promise<string> {
  const bind = env.LDAP_BIND_DN.trim();
  let entry: Entry | null | undefined;
  if (bind.includes("=")) entry = await readBase(bind, "Read service account");
  else {
    const slash = bind.lastIndexOf("\\");
    const name = slash >= 0 ? bind.slice(slash + 1) : bind;
    const filter = name.includes("@")
      ? escapeFilter`(&(objectClass=user)(|(userPrincipalName=${name})(sAMAccountName=${name.slice(0, name.indexOf("@"))})))`
      : escapeFilter`(&(objectClass=user)(sAMAccountName=${name}))`;
    entry = await serviceConnection().run("Read service account", async (c) => {
      const { searchEntries } = await c.search(env.LDAP_BASE_DN, {
        scope: "sub",
        filter,
        attributes: ["objectGUID"],
        explicitBufferAttributes: ["objectGUID"],
      });
      return searchEntries.length === 1 ? searchEntries[0]! : null;
    });
  }
  if (!entry) throw unavailable("Interim's service account (LDAP_BIND_DN) was not found in the directory: nothing is granted until it is.");
  return guidToString(buf(entry, "objectGUID"));
}

async function loadRoots(key: string, previous: Roots | undefined): Promise<Roots> {
  const adminGuids = new Set<string>();
  const bySid = new Map<string, ProtectionRule>();
  const admins = [await readBase(env.INTERIM_ADMIN_GROUP_DN, "Read admin group")];
  // The group known before keeps counting after a rename or move, even when the old DN now names another group.
  for (const guid of previous?.key === key ? previous.adminGuids : []) admins.push(await readBase(guidRef(guid), "Read admin group"));
  for (const admin of admins) {
    if (!admin) continue;
    adminGuids.add(guidToString(buf(admin, "objectGUID")));
    bySid.set(sidToString(buf(admin, "objectSid")), "admin-group");
  }
  if (adminGuids.size === 0) {
    throw unavailable("The admin group (INTERIM_ADMIN_GROUP_DN) was not found in the directory: nothing is published or granted until it is.");
  }
  const serviceSids = await tokenGroupSids(await serviceAccountGuid());
  // Every account has at least its primary group: an empty answer is a failed read, not "in no group".
  if (serviceSids.length === 0) throw unavailable("The service account's groups (tokenGroups) could not be read: nothing is granted until they can.");
  for (const sid of serviceSids) if (!bySid.has(sid)) bySid.set(sid, "service-account-group");
  return { key, loadedAt: Date.now(), adminGuids, bySid };
}

async function currentRoots(): Promise<Roots> {
  const key = rootsKey();
  if (roots && roots.key === key && Date.now() - roots.loadedAt < ROOTS_TTL_MS) return roots;
  roots = await loadRoots(key, roots);
  return roots;
}

/**
 * Why the group must never be granted or published, or null when it may be. Reads the group by
 * GUID, then every group it is in through any depth of nesting (LDAP_MATCHING_RULE_IN_CHAIN on
 * the DN the directory gives it now). A group that does not exist is not protected (the add fails on its own).
 */
export async function groupProtection(groupGuid: string): Promise<Protection | null> {
  const { adminGuids, bySid } = await currentRoots();
  const target = await readBase(guidRef(groupGuid), "Read group");
  if (!target) return null;
  const guid = guidToString(buf(target, "objectGUID"));
  const own = adminGuids.has(guid) ? "admin-group" : bySid.get(sidToString(buf(target, "objectSid")));
  if (own) return { rule: own, groupDn: target.dn, viaDn: target.dn };
  // Asked from the group's side, on that one object (a few ms), not "which groups contain it"
  // over the whole domain (~130 ms with thousands of objects): roots by SID, so renames do not matter.
  const roots = [...bySid].sort((a, b) => rank(a[1]) - rank(b[1]));
  if (
    !(await nestedIn(
      groupGuid,
      roots.map(([sid]) => sid),
    ))
  )
    return null;
  for (const [sid, rule] of roots) {
    if (!(await nestedIn(groupGuid, [sid]))) continue;
    const root = await readBase(`<SID=${sid}>`, "Read group");
    return { rule, groupDn: target.dn, viaDn: root?.dn ?? sid };
  }
  return null; // un-nested between the two reads
}

/** Whether the group is a member, through any depth of nesting, of one of the groups `sids`. */
async function nestedIn(groupGuid: string, sids: readonly string[]): Promise<boolean> {
  if (sids.length === 0) return false;
  const filter = `(|${sids.map((sid) => `(memberOf:${IN_CHAIN}:=<SID=${sid}>)`).join("")})`;
  return serviceConnection().run("Read group nesting", async (c) => {
    const { searchEntries } = await c.search(guidRef(groupGuid), {
      scope: "base",
      filter,
      attributes: ["objectGUID"],
      explicitBufferAttributes: ["objectGUID"],
    });
    return searchEntries.length > 0;
  });
}

const rank = (rule: ProtectionRule) => ["admin-group", "service-account-group"].indexOf(rule);

export function protectionMessage(p: Protection): string {
  const via = p.viaDn.toLowerCase() === p.groupDn.toLowerCase() ? "" : ` (it is nested in ${p.viaDn})`;
  switch (p.rule) {
    case "admin-group":
      return `${p.groupDn} grants Interim administration${via}: it is never published or granted.`;
    case "service-account-group":
      return `Interim's service account is in ${p.groupDn}${via}: a member would hold Interim's own rights, so it is never published or granted.`;
  }
}

/** Throws `refused(rule, …)` for a group that must never be published or granted (see groupProtection). */
export async function assertGroupMayBeGranted(groupGuid: string): Promise<void> {
  const p = await groupProtection(groupGuid);
  if (p) throw refused(p.rule, protectionMessage(p));
}

/** True when the group (by GUID) is the admin group or nested in it. */
export async function grantsInterimAdmin(groupGuid: string): Promise<boolean> {
  return (await groupProtection(groupGuid))?.rule === "admin-group";
}
