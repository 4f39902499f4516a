/**
 * Idempotent benchmark fixture: OU=Bench with users bench-0001…, groups "JIT Bench 1..K" (published
 * as privileges) and "JIT Bench Raw" (unpublished, for raw ldapts measurements) under
 * OU=Privileges, all groups emptied, local user rows for everyone. With `bulkGroups`, also
 * "JIT Bench Bulk 1..B" (published) and "JIT Bench Bulk Raw 1..B" (unpublished) for the bulk
 * expiry phase: fresh groups of their own, so that phase never meets the earlier phases'
 * deactivated links.
 */
import { eq } from "drizzle-orm";
import { Attribute, Change, type Client } from "ldapts";
import { db } from "@/db";
import { accessGroupMembers, accessGroups, privileges } from "@/db/schema";

import { criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema } from "@/server/access-groups/policy/schemas";
import type { AuditActor } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { guidToString } from "@/server/directory/binary";
import { findUser, getUser, isNestedMember } from "@/server/directory/service";
import { env } from "@/server/env";
import { publishPrivilege } from "@/server/privileges/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { addIfMissing, changeMembersTolerant, groupMembers } from "./lib/ldap";
import { log, pool } from "./lib/stats";

/** NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled without a password. */
const ENABLED_WITHOUT_PASSWORD = "544";

export const BENCH_TAG = "bench";
const BASE_DN = () => env.LDAP_BASE_DN;
export const interimOu = () => `OU=Interim,${BASE_DN()}`;
export const benchOu = () => `OU=Bench,${interimOu()}`;
export const privilegesOu = () => `OU=Privileges,${interimOu()}`;

export interface BenchUser {
  sam: string;
  dn: string;
  guid: string;
  session: SessionUser;
}

export interface BenchGroup {
  name: string;
  dn: string;
  guid: string;
  privilegeId: string;
}

export interface Fixture {
  admin: SessionUser;
  adminActor: AuditActor;
  users: BenchUser[];
  groups: BenchGroup[];
  rawGroupDn: string;
  /** The bulk expiry phase's published groups and, one for each, a raw group of the same shape. */
  bulkGroups: BenchGroup[];
  bulkRawGroupDns: string[];
  created: { users: number; groups: number };
  seconds: number;
}

export const userSam = (i: number) => `bench-${String(i + 1).padStart(4, "0")}`;
export const groupName = (k: number) => `JIT Bench ${k + 1}`;
export const RAW_GROUP = "JIT Bench Raw";
export const bulkGroupName = (k: number) => `JIT Bench Bulk ${k + 1}`;
export const bulkRawGroupName = (k: number) => `JIT Bench Bulk Raw ${k + 1}`;

async function existingNames(admin: Client, base: string, filter: string, attr: string): Promise<Map<string, { dn: string; guid?: Buffer }>> {
  const { searchEntries } = await admin.search(base, {
    scope: "one",
    filter,
    attributes: [attr, "objectGUID"],
    explicitBufferAttributes: ["objectGUID"],
    paged: { pageSize: 500 },
  });
  const out = new Map<string, { dn: string; guid?: Buffer }>();
  for (const e of searchEntries) {
    const v = e[attr];
    const name = String(Array.isArray(v) ? v[0] : v).toLowerCase();
    const g = e.objectGUID;
    out.set(name, { dn: e.dn, guid: Buffer.isBuffer(g) ? g : Array.isArray(g) && Buffer.isBuffer(g[0]) ? g[0] : undefined });
  }
  return out;
}

export async function setupFixture(
  admin: Client,
  opts: { users: number; groups: number; bulkGroups: number; recreateGroups: boolean; adminLogin?: string },
): Promise<Fixture> {
  const t0 = performance.now();
  const created = { users: 0, groups: 0 };

  // OUs (OU=Interim exists: ad-up.sh made it).
  if (await addIfMissing(admin, benchOu(), { objectClass: ["top", "organizationalUnit"], ou: "Bench", description: "Interim benchmark accounts" })) {
    log(`created ${benchOu()}`);
  }

  // Users.
  const haveUsers = await existingNames(admin, benchOu(), "(&(objectClass=user)(sAMAccountName=bench-*))", "sAMAccountName");
  const missing = Array.from({ length: opts.users }, (_, i) => userSam(i)).filter((s) => !haveUsers.has(s));
  if (missing.length) {
    log(`creating ${missing.length} bench user(s) in ${benchOu()} …`);
    let done = 0;
    const t = performance.now();
    await pool(missing, 8, async (sam) => {
      // Enabled without a password (NORMAL_ACCOUNT | PASSWD_NOTREQD): nobody signs in with them, and a
      // disabled account's access is ended by the worker (accounts__offboard).
      const user = { objectClass: ["top", "person", "organizationalPerson", "user"], sAMAccountName: sam, userAccountControl: ENABLED_WITHOUT_PASSWORD };
      if (await addIfMissing(admin, `CN=${sam},${benchOu()}`, user)) {
        created.users++;
      }
      if (++done % 500 === 0) log(`  ${done}/${missing.length} users (${Math.round(done / ((performance.now() - t) / 1000))}/s)`);
    });
  }

  // Bench users made by older runs were left disabled.
  const disabled = await existingNames(
    admin,
    benchOu(),
    "(&(objectClass=user)(sAMAccountName=bench-*)(userAccountControl:1.2.840.113556.1.4.803:=2))",
    "sAMAccountName",
  );
  if (disabled.size) log(`enabling ${disabled.size} bench user(s) left disabled by an older run …`);
  await pool([...disabled.values()], 8, ({ dn }) =>
    admin.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: [ENABLED_WITHOUT_PASSWORD] }) })),
  );

  // Groups (global security groups) in OU=Privileges, where svc-interim may change members.
  // A removed member stays on the group as a deactivated link value (AD keeps them for the
  // tombstone lifetime, 180 days by default, for replication), and every later modify of the group
  // pays for them: after one 10,000-member run a single add on the same group took ~55 ms instead
  // of ~7 ms. So the groups are recreated for every run unless BENCH_REUSE_GROUPS=1.
  const haveGroups = await existingNames(admin, privilegesOu(), "(&(objectClass=group)(cn=JIT Bench *))", "cn");
  const bulkNames = Array.from({ length: opts.bulkGroups }, (_, k) => bulkGroupName(k));
  const bulkRawNames = Array.from({ length: opts.bulkGroups }, (_, k) => bulkRawGroupName(k));
  const rawNames = new Set([RAW_GROUP, ...bulkRawNames]);
  const wantGroups = [...Array.from({ length: opts.groups }, (_, k) => groupName(k)), RAW_GROUP, ...bulkNames, ...bulkRawNames];
  if (opts.recreateGroups) {
    let deleted = 0;
    for (const name of wantGroups) {
      const g = haveGroups.get(name.toLowerCase());
      if (!g) continue;
      await admin.del(g.dn);
      haveGroups.delete(name.toLowerCase());
      deleted++;
    }
    if (deleted) log(`deleted ${deleted} bench group(s) from the previous run (fresh groups carry no deactivated links)`);
  }
  for (const name of wantGroups) {
    if (haveGroups.has(name.toLowerCase())) continue;
    await admin.add(`CN=${name},${privilegesOu()}`, {
      objectClass: ["top", "group"],
      sAMAccountName: name,
      groupType: "-2147483646",
      description: rawNames.has(name) ? "Interim benchmark: raw ldapts measurements (not published)" : "Interim benchmark privilege",
    });
    created.groups++;
  }
  const groupsNow = await existingNames(admin, privilegesOu(), "(&(objectClass=group)(cn=JIT Bench *))", "cn");

  // Empty every bench group before measuring.
  for (const name of wantGroups) {
    const dn = groupsNow.get(name.toLowerCase())!.dn;
    const members = await groupMembers(admin, dn);
    if (members.length) {
      log(`emptying "${name}" (${members.length} leftover member(s))`);
      await changeMembersTolerant(admin, "delete", dn, members);
    }
  }

  // The admin (as scripts/seed-demo.ts does) and the published privileges.
  const adminLogin = opts.adminLogin ?? "carol";
  const person = await findUser(adminLogin);
  if (!person) throw new Error(`admin ${adminLogin} not found in the directory (scripts/ad-up.sh seeds it)`);
  if (!(await isNestedMember(person.dn, env.INTERIM_ADMIN_GROUP_DN))) throw new Error(`${adminLogin} is not in the Interim admin group`);
  const adminUser = await upsertDirectoryUser(db, person, true, false);
  const adminActor: AuditActor = { type: "user", id: adminUser.id, name: `${adminUser.username} (bench)` };

  const published = new Map((await db.select({ id: privileges.id, guid: privileges.groupGuid }).from(privileges)).map((r) => [r.guid, r.id]));
  const publish = async (name: string, privilegeName: string): Promise<BenchGroup> => {
    const g = groupsNow.get(name.toLowerCase())!;
    if (!g.guid) throw new Error(`${g.dn} has no objectGUID`);
    const guid = guidToString(g.guid);
    let privilegeId = published.get(guid);
    if (!privilegeId) {
      const [taken] = await db.select({ id: privileges.id }).from(privileges).where(eq(privileges.name, privilegeName));
      if (taken) throw new Error(`privilege "${privilegeName}" exists for another group: run the bench on a fresh database (scripts/bench.sh passes --fresh)`);
      const row = await publishPrivilege(adminUser, adminActor, {
        groupGuid: guid,
        name: privilegeName,
        description: "Interim benchmark privilege",
        maxDurationMinutes: 24 * 60,
        defaultDurationMinutes: 60,
        allowExtension: false,
        tags: [BENCH_TAG],
      });
      privilegeId = row.id;
    }
    return { name, dn: g.dn, guid, privilegeId };
  };
  const groups: BenchGroup[] = [];
  for (let k = 0; k < opts.groups; k++) groups.push(await publish(groupName(k), `Bench ${k + 1}`));
  const bulkGroups: BenchGroup[] = [];
  for (let k = 0; k < opts.bulkGroups; k++) bulkGroups.push(await publish(bulkGroupName(k), `Bench bulk ${k + 1}`));

  // Local user rows for the bench users, from the directory through the product's reader.
  const usersNow = await existingNames(admin, benchOu(), "(&(objectClass=user)(sAMAccountName=bench-*))", "sAMAccountName");
  const users = await pool(
    Array.from({ length: opts.users }, (_, i) => userSam(i)),
    16,
    async (sam) => {
      const dn = usersNow.get(sam)?.dn;
      if (!dn) throw new Error(`bench user ${sam} missing after setup`);
      const person = await getUser(dn);
      if (!person) throw new Error(`getUser(${dn}) found nothing`);
      const session = await upsertDirectoryUser(db, person, false, false);
      return { sam, dn: person.dn, guid: person.objectGuid, session };
    },
  );

  // One open access group lists every bench user (auto-activated): requests go through the
  // product's policy check like anyone's, without approval or extra fields.
  await db.transaction(async (tx) => {
    const [group] = await tx
      .insert(accessGroups)
      .values({
        name: "Bench",
        description: "Interim benchmark users",
        settings: groupSettingsSchema.parse({ autoGrantOnProvisioning: true }),
        criteria: criteriaSchema.parse({}),
        limits: limitsSchema.parse({}),
        locations: locationPolicySchema.parse({}),
      })
      .onConflictDoUpdate({ target: accessGroups.name, set: { enabled: true } })
      .returning();
    await tx
      .insert(accessGroupMembers)
      .values(users.map((u) => ({ groupId: group!.id, kind: "user" as const, objectGuid: u.guid, dn: u.dn, name: u.sam })))
      .onConflictDoNothing();
  });

  return {
    admin: adminUser,
    adminActor,
    users,
    groups,
    rawGroupDn: groupsNow.get(RAW_GROUP.toLowerCase())!.dn,
    bulkGroups,
    bulkRawGroupDns: bulkRawNames.map((name) => groupsNow.get(name.toLowerCase())!.dn),
    created,
    seconds: (performance.now() - t0) / 1000,
  };
}
