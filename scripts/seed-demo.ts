/**
 * Seeds the demo: publishes the local AD's JIT groups as privileges and creates the demo access
 * group, as the demo admin (carol). Idempotent — what exists already is left as it is.
 */
import { db, closeDb } from "@/db";
import { accessGroups, privileges } from "@/db/schema";
import { addMember } from "@/server/access-groups/members";
import { createAccessGroup, toPolicy, updateCriteria, updateSettings } from "@/server/access-groups/service";
import type { AuditActor } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { findUser, isNestedMember, searchGroups } from "@/server/directory/service";
import { env } from "@/server/env";
import { publishPrivilege } from "@/server/privileges/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { seedDemoSessions } from "./seed-demo-sessions";

const DEMO: Record<string, { name: string; max: number; def: number; extend: boolean; tags: string[] }> = {
  "JIT SQL Admins": { name: "SQL Server administration", max: 240, def: 60, extend: true, tags: ["demo", "database"] },
  "JIT Web Admins": { name: "Web farm administration", max: 480, def: 120, extend: true, tags: ["demo", "web"] },
  "JIT Backup Operators": { name: "Backup operators", max: 120, def: 30, extend: false, tags: ["demo", "operations"] },
  "JIT Helpdesk": { name: "Helpdesk password resets", max: 60, def: 15, extend: false, tags: ["demo", "helpdesk"] },
};

/**
 * The demo's access group: alice may request every demo privilege, for her own account or her
 * privileged account adm-alice, any time, with a justification, activated automatically. Others
 * (dave, the outsider) are in no group and see nothing until an admin builds one.
 */
async function seedAccessGroups(admin: SessionUser, actor: AuditActor) {
  const [existing] = await db.select({ id: accessGroups.id }).from(accessGroups).limit(1);
  if (existing) return 0;
  const name = "Demo operators";
  const group = await createAccessGroup(admin, actor, { name, description: "Everything published for the demo, for alice", timeZone: "Europe/Paris" });
  const saved = await updateSettings(admin, actor, {
    id: group.id,
    version: group.version,
    name,
    description: group.description,
    enabled: true,
    timeZone: group.timeZone,
    settings: { ...toPolicy(group).settings, requiresJustification: true, autoGrantOnProvisioning: true },
  });
  await updateCriteria(admin, actor, {
    id: group.id,
    version: saved.version,
    criteria: { ...toPolicy(group).criteria, privilegeTags: ["demo"], credentialUsernames: ["adm-alice"] },
  });
  const alice = await findUser("alice");
  if (alice) await addMember(admin, actor, group.id, alice.objectGuid);
  return 1;
}

export async function seedDemo(adminLogin = "carol") {
  const person = await findUser(adminLogin);
  if (!person) throw new Error(`Demo admin ${adminLogin} not found in the directory`);
  const isAdmin = await isNestedMember(person.dn, env.INTERIM_ADMIN_GROUP_DN);
  if (!isAdmin) throw new Error(`${adminLogin} is not in the Interim admin group`);
  const admin = await upsertDirectoryUser(db, person, true, false);
  const actor: AuditActor = { type: "user", id: admin.id, name: `${admin.username} (demo seed)` };
  const published = new Set((await db.select({ guid: privileges.groupGuid }).from(privileges)).map((r) => r.guid));
  let added = 0;
  for (const [cn, demo] of Object.entries(DEMO)) {
    // Each by its own name: a search for "JIT" returns one page, which other JIT groups can fill.
    const group = (await searchGroups(cn)).find((g) => g.name === cn);
    if (!group || published.has(group.objectGuid)) continue;
    await publishPrivilege(admin, actor, {
      groupGuid: group.objectGuid,
      name: demo.name,
      description: group.description,
      maxDurationMinutes: demo.max,
      defaultDurationMinutes: demo.def,
      allowExtension: demo.extend,
      tags: demo.tags,
    });
    added++;
  }
  await seedAccessGroups(admin, actor);
  await seedDemoSessions(admin, actor);
  return added;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const added = await seedDemo();
  console.log(`demo seed: ${added} privilege(s) published`);
  await closeDb();
  process.exit(0);
}
