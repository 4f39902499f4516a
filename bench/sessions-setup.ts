/**
 * The sessions phase's fixture (issue 14): managed accounts `bench-sess-01…NN` in
 * OU=Privileged Accounts (created once, kept for later runs, enabled, no userWorkstations, a
 * password nobody keeps), the target LNX01 as a catalog device, the accounts as managed catalog
 * credentials, "JIT Linux Admins" published, and an access group whose session settings add it,
 * with alice as its member (one person, many accounts: the pending/live checks are per account).
 * Not "bench-adm-…": the catalog sync imports everything under that OU, and the catalog's
 * integration test expects exactly adm-alice and adm-bob when it searches for "adm-".
 */
import { randomBytes } from "node:crypto";
import { Attribute, Change, type Client } from "ldapts";
import { eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroups, catalogCredentials, catalogDevices } from "@/db/schema";
import { addMember } from "@/server/access-groups/members";
import { createAccessGroup, updateCriteria, updateSettings } from "@/server/access-groups/service";
import { criteriaSchema, groupSettingsSchema } from "@/server/access-groups/policy/schemas";
import type { AuditActor } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { findUser, getGroupByGuid, getUser, isNestedMember, searchGroups } from "@/server/directory/service";
import { env } from "@/server/env";
import { publishPrivilege } from "@/server/privileges/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { changeMembersTolerant, groupMembers, requiredEnv, resultCode } from "./lib/ldap";
import { log, pool } from "./lib/stats";

export const SUDO_GROUP = "JIT Linux Admins";
export const DEVICE_NAME = "LNX01";
export const sessionAccountSam = (i: number) => `bench-sess-${String(i + 1).padStart(2, "0")}`;
const accountsOu = () => `OU=Privileged Accounts,OU=Interim,${env.LDAP_BASE_DN}`;

export interface BenchAccount {
  sam: string;
  dn: string;
  credentialId: string;
}

export interface SessionsFixture {
  admin: SessionUser;
  requester: SessionUser;
  requesterActor: AuditActor;
  deviceId: string;
  target: { host: string; port: number; hostKey: string };
  privilegeId: string;
  groupDn: string;
  accounts: BenchAccount[];
  created: number;
}

/** A throwaway password that satisfies AD's complexity; the product sets its own before every session. */
const throwaway = () => `Bx9-${randomBytes(18).toString("base64url")}`;
const unicodePwd = (p: string) => Buffer.from(`"${p}"`, "utf16le");
const replace = (type: string, values: string[] | Buffer[]) => new Change({ operation: "replace", modification: new Attribute({ type, values }) });

async function ensureAccount(admin: Client, sam: string): Promise<{ dn: string; created: boolean }> {
  const dn = `CN=${sam},${accountsOu()}`;
  let created = false;
  try {
    // Disabled until it has a password (the domain requires one for an enabled account).
    await admin.add(dn, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: sam,
      userPrincipalName: `${sam}@${env.LDAP_BASE_DN.replace(/^DC=/i, "").replace(/,DC=/gi, ".").toLowerCase()}`,
      displayName: `Interim bench ${sam}`,
      description: "Interim benchmark: managed account for recorded sessions (kept for reuse; its password is set by Interim)",
      userAccountControl: "514",
    });
    await admin.modify(dn, replace("unicodePwd", [unicodePwd(throwaway())]));
    created = true;
  } catch (err) {
    if (resultCode(err) !== 68) throw err;
  }
  const { searchEntries } = await admin.search(dn, { scope: "base", attributes: ["userAccountControl", "userWorkstations"] });
  const entry = searchEntries[0]!;
  const changes: Change[] = [];
  if (String(entry.userAccountControl) !== "512") changes.push(replace("userAccountControl", ["512"]), replace("lockoutTime", ["0"]));
  const workstations = entry.userWorkstations;
  if (workstations !== undefined && String(workstations) !== "" && !(Array.isArray(workstations) && workstations.length === 0))
    changes.push(new Change({ operation: "delete", modification: new Attribute({ type: "userWorkstations", values: [] }) }));
  if (changes.length) await admin.modify(dn, changes);
  return { dn, created };
}

/** Idempotent (the database is fresh for every run; the accounts are reused). */
export async function setupSessionsFixture(admin: Client, opts: { accounts: number; adminLogin?: string; requesterLogin?: string }): Promise<SessionsFixture> {
  const host = requiredEnv("SSH_TARGET_HOST");
  const port = Number(requiredEnv("SSH_TARGET_PORT"));
  const hostKey = requiredEnv("SSH_TARGET_HOSTKEY_SHA256");

  const sams = Array.from({ length: opts.accounts }, (_, i) => sessionAccountSam(i));
  const made = await pool(sams, 4, async (sam) => ({ sam, ...(await ensureAccount(admin, sam)) }));
  const created = made.filter((m) => m.created).length;
  if (created) log(`created ${created} managed bench account(s) in ${accountsOu()}`);

  // A membership left by an interrupted run would count as there before the session (and stay after it).
  const [group] = (await searchGroups(SUDO_GROUP)).filter((g) => g.name === SUDO_GROUP);
  if (!group) throw new Error(`group "${SUDO_GROUP}" not found (scripts/ad-up.sh creates it with the SSH target)`);
  const leftovers = (await groupMembers(admin, group.dn)).filter((m) => /^CN=bench-sess-\d+,/i.test(m));
  if (leftovers.length) {
    log(`removing ${leftovers.length} bench account(s) left in "${SUDO_GROUP}" by an earlier run`);
    await changeMembersTolerant(admin, "delete", group.dn, leftovers);
  }

  const adminLogin = opts.adminLogin ?? "carol";
  const person = await findUser(adminLogin);
  if (!person || !(await isNestedMember(person.dn, env.INTERIM_ADMIN_GROUP_DN))) throw new Error(`${adminLogin} is not an Interim admin in the directory`);
  const adminUser = await upsertDirectoryUser(db, person, true, false);
  const adminActor: AuditActor = { type: "user", id: adminUser.id, name: `${adminUser.username} (bench)` };
  const requesterPerson = await findUser(opts.requesterLogin ?? "alice");
  if (!requesterPerson) throw new Error(`requester ${opts.requesterLogin ?? "alice"} not found in the directory`);
  const requester = await upsertDirectoryUser(db, requesterPerson, false, false);

  const fresh = await getGroupByGuid(group.objectGuid);
  const privilege = await publishPrivilege(adminUser, adminActor, {
    groupGuid: fresh!.objectGuid,
    name: `${SUDO_GROUP} (bench)`,
    description: "Interim benchmark: sudo on LNX01 for recorded sessions",
    maxDurationMinutes: 60,
    defaultDurationMinutes: 30,
    allowExtension: false,
    tags: ["bench"],
  });

  const [device] = await db
    .insert(catalogDevices)
    .values({
      name: DEVICE_NAME,
      model: "Debian (scripts/ssh-target.sh)",
      type: "Linux",
      source: "manual",
      sshEnabled: true,
      sshHost: host,
      sshPort: port,
      hostKeySha256: hostKey,
    })
    .returning();

  const accounts = await pool(made, 8, async ({ sam, dn }) => {
    const entry = await getUser(dn);
    if (!entry) throw new Error(`getUser(${dn}) found nothing`);
    const [row] = await db
      .insert(catalogCredentials)
      .values({ username: sam, source: "directory", objectGuid: entry.objectGuid, dn: entry.dn, present: true, managed: true })
      // The worker's catalog sync may have listed the account already (made by an earlier bench run).
      .onConflictDoUpdate({
        target: catalogCredentials.objectGuid,
        targetWhere: sql`object_guid is not null`,
        set: { username: sam, dn: entry.dn, present: true, managed: true },
      })
      .returning({ id: catalogCredentials.id });
    return { sam, dn: entry.dn, credentialId: row!.id };
  });

  const actor = adminActor;
  let row = await createAccessGroup(adminUser, actor, {
    name: "Bench sessions",
    description: "Interim benchmark: recorded sessions on LNX01",
    timeZone: "UTC",
  });
  row = await updateSettings(adminUser, actor, {
    id: row.id,
    version: row.version,
    name: row.name,
    description: row.description,
    enabled: true,
    timeZone: "UTC",
    settings: groupSettingsSchema.parse({ autoGrantOnProvisioning: true, allowOthersAccounts: true }),
  });
  await updateCriteria(adminUser, actor, {
    id: row.id,
    version: row.version,
    criteria: criteriaSchema.parse({ deviceNames: [DEVICE_NAME], credentialUsernames: ["bench-sess-*"], privilegeNames: [privilege.name] }),
  });
  await addMember(adminUser, actor, row.id, requesterPerson.objectGuid);
  // Session settings have no service of their own yet: written as the integration tests do.
  await db
    .update(accessGroups)
    .set({
      sessions: {
        enabled: true,
        recording: true,
        maxSessionMinutes: 30,
        idleTimeoutMinutes: 10,
        privilegeIds: [privilege.id],
        rules: { alert: [], block: [] },
      },
    })
    .where(eq(accessGroups.id, row.id));

  return {
    admin: adminUser,
    requester,
    requesterActor: { type: "user", id: requester.id, name: `${requester.username} (bench)`, ip: "127.0.0.1", userAgent: "interim-bench" },
    deviceId: device!.id,
    target: { host, port, hostKey },
    privilegeId: privilege.id,
    groupDn: group.dn,
    accounts,
    created,
  };
}
