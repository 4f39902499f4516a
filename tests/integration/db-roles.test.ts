import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { grantAppRole } from "@/db/migrate";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit, verifyAuditChain } from "@/server/audit/service";
import { ownerDb, resetDatabase } from "./fixtures";

/**
 * Issue 13, item 11: the web and the worker log in as a role that may read and append to the
 * audit trail but not rewrite it, nor lift the append-only trigger; only the owner (who runs
 * migrations) can. `db` is the app's own pool (DATABASE_URL), exactly what the product uses.
 */
// Refused for lack of rights, not by the append-only trigger (whose error shares the code).
const permissionDenied = { cause: expect.objectContaining({ code: "42501", message: expect.stringMatching(/^(permission denied|must be owner)/) }) };

async function appendOne(reason: string) {
  await db.transaction((tx) => recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.cancelled", targetType: "grant", targetId: "db-roles", data: { reason } }]));
}

describe("database roles", () => {
  beforeAll(async () => {
    await resetDatabase();
    await appendOne("first");
  });
  afterAll(resetDatabase);

  it("runs the app as a role other than the owner, neither superuser nor owner of anything", async () => {
    const [app] = await db.execute<{ name: string; superuser: boolean; owned: number; createrole: boolean }>(sql`
      select current_user as name, r.rolsuper as superuser, r.rolcreaterole as createrole,
             (select count(*)::int from pg_class c where c.relowner = r.oid) + (select count(*)::int from pg_namespace n where n.nspowner = r.oid)
             + (select count(*)::int from pg_proc p where p.proowner = r.oid) + (select count(*)::int from pg_database d where d.datdba = r.oid) as owned
        from pg_roles r where r.rolname = current_user`);
    const [owner] = await ownerDb().execute<{ name: string; tableOwner: string }>(
      sql`select current_user as name, (select tableowner from pg_tables where tablename = 'audit_events') as "tableOwner"`,
    );
    expect(app).toMatchObject({ superuser: false, createrole: false, owned: 0 });
    expect(app!.name).not.toBe(owner!.name);
    expect(owner!.tableOwner).toBe(owner!.name);
  });

  it("refuses to migrate when the app role owns something that reaches audit_events (a function here)", async () => {
    const [{ role }] = (await db.execute<{ role: string }>(sql`select current_user as role`)) as unknown as [{ role: string }];
    await ownerDb().execute(sql`create function public.interim_owned_probe() returns int language sql as 'select 1'`);
    await ownerDb().execute(sql`alter function public.interim_owned_probe() owner to ${sql.identifier(role)}`);
    try {
      await expect(grantAppRole(process.env.DATABASE_OWNER_URL!, role)).rejects.toThrow(/must own nothing/);
    } finally {
      await ownerDb().execute(sql`drop function public.interim_owned_probe()`);
    }
    await expect(grantAppRole(process.env.DATABASE_OWNER_URL!, role)).resolves.toBeUndefined();
  });

  it("lets the app read and append to audit_events", async () => {
    await appendOne("second");
    const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events`);
    expect(rows[0]!.n).toBe(2);
  });

  it("refuses the app UPDATE, DELETE, TRUNCATE, disabling or dropping the trigger", async () => {
    const attempts = [
      sql`update audit_events set actor_name = 'mallory'`,
      sql`delete from audit_events`,
      sql`truncate audit_events`,
      sql`alter table audit_events disable trigger all`,
      sql`alter table audit_events disable trigger audit_events_no_update_delete`,
      sql`drop trigger audit_events_no_update_delete on audit_events`,
      sql`drop function audit_events_append_only() cascade`,
      sql`set session_replication_role = replica`,
      sql`create trigger audit_events_sneak before insert on audit_events for each row execute function audit_events_append_only()`,
    ];
    for (const statement of attempts) {
      await expect(
        db.transaction((tx) => tx.execute(statement)),
        String(statement.queryChunks.map((c) => JSON.stringify(c))),
      ).rejects.toMatchObject(permissionDenied);
    }
    expect((await verifyAuditChain(db)).problems).toEqual([]);
    const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events`);
    expect(rows[0]!.n).toBe(2);
  });

  it("lets the app do ordinary work on other tables and on graphile-worker's queue", async () => {
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into signin_attempts (account_key, username, ip, success) values ('db-roles', 'db-roles', '127.0.0.1', false)`);
      await tx.execute(sql`update signin_attempts set success = true where username = 'db-roles'`);
      await tx.execute(sql`delete from signin_attempts where username = 'db-roles'`);
      await tx.execute(sql`select graphile_worker.add_job('db_roles_probe', '{}'::json, job_key => 'db-roles-probe')`);
      await tx.execute(sql`select graphile_worker.remove_job('db-roles-probe')`);
    });
  });

  it("leaves the owner able to do what the app may not (in a transaction rolled back)", async () => {
    const rolledBack = new Error("rolled back");
    await expect(
      ownerDb().transaction(async (tx) => {
        await tx.execute(sql`alter table audit_events disable trigger all`);
        await tx.execute(sql`update audit_events set actor_name = 'owner'`);
        await tx.execute(sql`delete from audit_events`);
        await tx.execute(sql`alter table audit_events enable trigger all`);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events`);
    expect(rows[0]!.n).toBe(2);
  });
});
