/**
 * Seeds the demo: publishes the local AD's JIT groups as privileges, as the demo admin (carol).
 * Idempotent — groups already published are left as they are.
 */
import { db, closeDb } from "@/db";
import { privileges } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { findUser, isNestedMember, searchGroups } from "@/server/directory/service";
import { env } from "@/server/env";
import { publishPrivilege } from "@/server/privileges/service";
import { upsertDirectoryUser } from "@/server/users/service";

const DEMO: Record<string, { name: string; max: number; def: number; extend: boolean }> = {
  "JIT SQL Admins": { name: "SQL Server administration", max: 240, def: 60, extend: true },
  "JIT Web Admins": { name: "Web farm administration", max: 480, def: 120, extend: true },
  "JIT Backup Operators": { name: "Backup operators", max: 120, def: 30, extend: false },
  "JIT Helpdesk": { name: "Helpdesk password resets", max: 60, def: 15, extend: false },
};

export async function seedDemo(adminLogin = "carol") {
  const person = await findUser(adminLogin);
  if (!person) throw new Error(`Demo admin ${adminLogin} not found in the directory`);
  const isAdmin = await isNestedMember(person.dn, env.INTERIM_ADMIN_GROUP_DN);
  if (!isAdmin) throw new Error(`${adminLogin} is not in the Interim admin group`);
  const admin = await upsertDirectoryUser(db, person, true, false);
  const actor: AuditActor = { type: "user", id: admin.id, name: `${admin.username} (demo seed)` };
  const published = new Set((await db.select({ guid: privileges.groupGuid }).from(privileges)).map((r) => r.guid));
  let added = 0;
  for (const group of await searchGroups("JIT")) {
    const demo = DEMO[group.name];
    if (!demo || published.has(group.objectGuid)) continue;
    await publishPrivilege(admin, actor, {
      groupGuid: group.objectGuid,
      name: demo.name,
      description: group.description,
      maxDurationMinutes: demo.max,
      defaultDurationMinutes: demo.def,
      allowExtension: demo.extend,
      tags: ["demo"],
    });
    added++;
  }
  return added;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const added = await seedDemo();
  console.log(`demo seed: ${added} privilege(s) published`);
  await closeDb();
  process.exit(0);
}
