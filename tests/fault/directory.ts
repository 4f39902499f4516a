/**
 * The fault test's side of the directory: its accounts and groups, an independent watch on the
 * groups' members, and the DC's restart. Only the test's own objects are written: accounts
 * `fault-0001…` and the group "Fault Requesters" under OU=FaultTests (created once and reused, as
 * the integration tests' users are: recreating 1,000 accounts every run would leave 1,000
 * tombstones on the shared DC each time), and groups "JIT Fault N" under OU=Privileges (fresh
 * every run and deleted afterwards: a removed member stays on a group as a deactivated link).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { Attribute, Change, Client, ResultCodeError } from "ldapts";
import { newClient } from "@/server/directory/connection";
import { env } from "@/server/env";
import { adminClient, BASE_DN, PRIVILEGE_OU } from "../integration/fixtures";

export const FAULT_OU = `OU=FaultTests,OU=Interim,${BASE_DN}`;
export const REQUESTERS_CN = "Fault Requesters";
export const faultSam = (i: number) => `fault-${String(i + 1).padStart(4, "0")}`;
export const faultGroupCn = (k: number) => `JIT Fault ${k + 1}`;

const root = path.resolve(import.meta.dirname, "../..");
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `lanes` in flight. */
export async function pool<T, R>(items: readonly T[], lanes: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

const code = (err: unknown) => (err instanceof ResultCodeError ? err.code : undefined);

async function addIfMissing(c: Client, dn: string, attributes: Record<string, string | string[]>) {
  try {
    await c.add(dn, attributes);
  } catch (err) {
    if (code(err) !== 68) throw err;
  }
}

/** sAMAccountName → DN of the entries directly under `base` matching `filter`. */
async function namesUnder(c: Client, base: string, filter: string): Promise<Map<string, string>> {
  const { searchEntries } = await c.search(base, { scope: "one", filter, attributes: ["sAMAccountName"], paged: { pageSize: 500 } });
  return new Map(searchEntries.map((e) => [String(e.sAMAccountName).toLowerCase(), e.dn]));
}

/** Direct members of a group (DNs, lower-cased), following ranged retrieval. */
export async function memberDns(c: Client, groupDn: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (let start = 0; ;) {
    const { searchEntries } = await c.search(groupDn, { scope: "base", filter: "(objectClass=group)", attributes: [`member;range=${start}-*`] });
    const entry = searchEntries[0];
    if (!entry) throw new Error(`group not found: ${groupDn}`);
    const key = Object.keys(entry).find((k) => /^member(;range=.*)?$/i.test(k));
    if (!key) return out;
    const values = entry[key]!;
    for (const v of Array.isArray(values) ? values : [values]) out.add(String(v).toLowerCase());
    const range = /;range=\d+-(\d+|\*)$/i.exec(key);
    if (!range || range[1] === "*") return out;
    start = Number(range[1]) + 1;
  }
}

/** NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled without a password (nobody signs in with them). */
const ENABLED_WITHOUT_PASSWORD = "544";

/**
 * `n` accounts under OU=FaultTests (enabled, without a password: they only request and are put into groups), all in the security group "Fault
 * Requesters", which the test's access group lists. Returns the accounts' DNs and the group's DN.
 */
export async function ensureFaultAccounts(c: Client, n: number): Promise<{ dns: string[]; requestersDn: string; created: number }> {
  await addIfMissing(c, FAULT_OU, { objectClass: ["top", "organizationalUnit"], ou: "FaultTests", description: "Interim fault test accounts" });
  const have = await namesUnder(c, FAULT_OU, "(&(objectClass=user)(sAMAccountName=fault-*))");
  const missing = Array.from({ length: n }, (_, i) => faultSam(i)).filter((s) => !have.has(s));
  await pool(missing, 8, (sam) =>
    addIfMissing(c, `CN=${sam},${FAULT_OU}`, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: sam,
      userAccountControl: ENABLED_WITHOUT_PASSWORD,
    }),
  );
  // Accounts made by older runs were left disabled: Interim now ends a disabled account's access (accounts__offboard).
  const disabled = await namesUnder(c, FAULT_OU, "(&(objectClass=user)(sAMAccountName=fault-*)(userAccountControl:1.2.840.113556.1.4.803:=2))");
  await pool([...disabled.values()], 8, (dn) =>
    c.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: [ENABLED_WITHOUT_PASSWORD] }) })),
  );
  const now = missing.length ? await namesUnder(c, FAULT_OU, "(&(objectClass=user)(sAMAccountName=fault-*))") : have;
  const dns = Array.from({ length: n }, (_, i) => now.get(faultSam(i))!);

  const requestersDn = `CN=${REQUESTERS_CN},${FAULT_OU}`;
  await addIfMissing(c, requestersDn, {
    objectClass: ["top", "group"],
    sAMAccountName: "fault-requesters",
    groupType: "-2147483646",
    description: "Requesters of the fault test",
  });
  const inGroup = await memberDns(c, requestersDn);
  const toAdd = dns.filter((d) => !inGroup.has(d.toLowerCase()));
  for (let i = 0; i < toAdd.length; i += 500) {
    await c.modify(requestersDn, new Change({ operation: "add", modification: new Attribute({ type: "member", values: toAdd.slice(i, i + 500) }) }));
  }
  return { dns, requestersDn, created: missing.length };
}

/** Empty groups "JIT Fault 1…k" under OU=Privileges, recreated (a previous run's are deleted first). */
export async function freshPrivilegeGroups(c: Client, k: number): Promise<{ cn: string; dn: string }[]> {
  await deleteFaultGroups(c);
  const groups = Array.from({ length: k }, (_, i) => ({ cn: faultGroupCn(i), dn: `CN=${faultGroupCn(i)},${PRIVILEGE_OU}` }));
  for (const g of groups) {
    await c.add(g.dn, {
      objectClass: ["top", "group"],
      sAMAccountName: g.cn.replace(/\s+/g, "-"),
      groupType: "-2147483646",
      description: "Interim fault test privilege",
    });
  }
  return groups;
}

export async function deleteFaultGroups(c: Client) {
  const { searchEntries } = await c.search(PRIVILEGE_OU, { scope: "one", filter: "(&(objectClass=group)(cn=JIT Fault *))", attributes: ["1.1"] });
  for (const e of searchEntries) await c.del(e.dn);
}

export interface MembershipSighting {
  /** When a read that found the membership was sent / answered (ms since the epoch). */
  lastSeenSentAt: number | null;
  lastSeenAt: number | null;
  /** When the first read after lastSeenAt that no longer found it was answered. */
  goneBy: number | null;
}

/**
 * Reads every watched group's members from the DC every `everyMs` on a connection of its own (not
 * the product's), and records per planned membership when it was last seen and by when it was
 * gone. Reads fail while the DC is down; the watch reconnects and carries on.
 */
export function watchMemberships(plan: { groupDn: string; memberDn: string }[], everyMs = 500) {
  const sightings = new Map<string, MembershipSighting>();
  const key = (groupDn: string, memberDn: string) => `${groupDn.toLowerCase()}|${memberDn.toLowerCase()}`;
  for (const p of plan) sightings.set(key(p.groupDn, p.memberDn), { lastSeenSentAt: null, lastSeenAt: null, goneBy: null });
  const byGroup = new Map<string, string[]>();
  for (const p of plan) byGroup.set(p.groupDn, [...(byGroup.get(p.groupDn) ?? []), p.memberDn]);
  let stopped = false;
  let reads = 0;
  let failedReads = 0;

  const loop = (async () => {
    let client: Client | undefined;
    while (!stopped) {
      try {
        client ??= await adminClient();
        for (const [groupDn, members] of byGroup) {
          const sent = Date.now();
          const present = await memberDns(client, groupDn);
          const at = Date.now();
          reads++;
          for (const m of members) {
            const s = sightings.get(key(groupDn, m))!;
            if (present.has(m.toLowerCase())) Object.assign(s, { lastSeenSentAt: sent, lastSeenAt: at, goneBy: null });
            else if (s.lastSeenAt !== null && s.goneBy === null) s.goneBy = at;
          }
        }
      } catch {
        failedReads++;
        await client?.unbind().catch(() => {});
        client = undefined;
      }
      await sleep(everyMs);
    }
    await client?.unbind().catch(() => {});
  })();

  return {
    sighting: (groupDn: string, memberDn: string) => sightings.get(key(groupDn, memberDn))!,
    stats: () => ({ reads, failedReads }),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [script], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script} failed: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** Resolves at the first moment the service account can bind again (what the worker needs). */
async function firstServiceBind(deadlineMs: number): Promise<number> {
  for (;;) {
    const client = newClient(env.LDAP_URL[0]!);
    try {
      await client.bind(env.LDAP_BIND_DN, env.LDAP_BIND_PASSWORD);
      return Date.now();
    } catch (err) {
      if (Date.now() > deadlineMs) throw err;
    } finally {
      await client.unbind().catch(() => {});
    }
    await sleep(100);
  }
}

/**
 * Stops the (shared) DC with scripts/ad-down.sh and starts it again with scripts/ad-up.sh, as an
 * operator would. Returns when the stop began, when it completed, and when the service account
 * could bind again. A failed stop still runs ad-up.sh, so the DC is never left down.
 */
export async function restartDc(): Promise<{ stopAt: number; downAt: number; upAt: number }> {
  const stopAt = Date.now();
  try {
    await bash("scripts/ad-down.sh");
  } catch (err) {
    await bash("scripts/ad-up.sh");
    throw err;
  }
  const downAt = Date.now();
  const [, upAt] = await Promise.all([bash("scripts/ad-up.sh"), firstServiceBind(downAt + 90_000)]);
  return { stopAt, downAt, upAt };
}
