import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { Logger, runMigrations } from "graphile-worker";
import postgres from "postgres";

/**
 * Applies the app's drizzle migrations and graphile-worker's own schema as the owner
 * (`ownerUrl`: DATABASE_OWNER_URL, else DATABASE_URL). When `appUrl` logs in as another role,
 * that role is then granted what the web and the worker need and nothing more (`grantAppRole`).
 */
export async function migrateDatabase(ownerUrl: string, appUrl?: string) {
  const client = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(client), { migrationsFolder: path.resolve(import.meta.dirname, "migrations") });
  } finally {
    await client.end();
  }
  await runMigrations({ connectionString: ownerUrl, logger: quietLogger() });
  const appRole = appUrl ? decodeURIComponent(new URL(appUrl).username) : "";
  if (appRole && appRole !== decodeURIComponent(new URL(ownerUrl).username)) await grantAppRole(ownerUrl, appRole);
}

/**
 * The app role's rights, re-applied after every migration (and for future tables by default
 * privileges): plain DML on the app's tables and graphile-worker's, but `audit_events` only
 * SELECT and INSERT. Only the owner may then ALTER the table, so only the owner can switch off
 * its append-only trigger; TRUNCATE, UPDATE and DELETE are refused before any trigger runs.
 */
export async function grantAppRole(ownerUrl: string, appRole: string) {
  const client = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    const [me] = await client<{ superuser: boolean; owns: number }[]>`
      select r.rolsuper as superuser,
             (select count(*)::int from pg_class c where c.relowner = r.oid and c.relnamespace in ('public'::regnamespace, 'graphile_worker'::regnamespace))
             -- owning the database or a schema (Postgres 15+: the database owner owns public) lets it DROP audit_events
             + (select count(*)::int from pg_database d where d.datname = current_database() and d.datdba = r.oid)
             + (select count(*)::int from pg_namespace n where n.nspowner = r.oid and n.nspname in ('public', 'graphile_worker'))
             + (select count(*)::int from pg_proc p where p.proowner = r.oid and p.pronamespace in ('public'::regnamespace, 'graphile_worker'::regnamespace)) as owns
        from pg_roles r where r.rolname = ${appRole}`;
    if (!me) throw new Error(`DATABASE_URL logs in as "${appRole}", which is not a role of this server`);
    if (me.superuser || me.owns > 0)
      throw new Error(
        `"${appRole}" is a superuser or owns the database, a schema, a table or a function: the app role must own nothing (see README, Production)`,
      );
    const role = client(appRole);
    const [database] = await client<{ name: string }[]>`select current_database() as name`;
    await client.begin(async (tx) => {
      await tx`grant connect on database ${client(database!.name)} to ${role}`;
      for (const schema of ["public", "graphile_worker"].map((s) => client(s))) {
        await tx`grant usage on schema ${schema} to ${role}`;
        await tx`grant select, insert, update, delete on all tables in schema ${schema} to ${role}`;
        await tx`grant usage, select on all sequences in schema ${schema} to ${role}`;
        await tx`grant execute on all functions in schema ${schema} to ${role}`;
        await tx`alter default privileges in schema ${schema} grant select, insert, update, delete on tables to ${role}`;
        await tx`alter default privileges in schema ${schema} grant usage, select on sequences to ${role}`;
        await tx`alter default privileges in schema ${schema} grant execute on functions to ${role}`;
      }
      // graphile-worker turns row-level security on (without policies) for its tables, so only
      // their owner sees rows: the app role gets a policy of its own on each, the grants above
      // being the real limit. Re-run after every migration, so tables of a newer version are covered.
      const secured = await tx<{ table: string }[]>`
        select c.relname as table from pg_class c
         where c.relnamespace = 'graphile_worker'::regnamespace and c.relkind = 'r' and c.relrowsecurity
           and not exists (select 1 from pg_policies p where p.schemaname = 'graphile_worker' and p.tablename = c.relname and ${appRole} = any(p.roles))`;
      for (const { table } of secured) {
        await tx`create policy ${client(`${appRole}_all`)} on graphile_worker.${client(table)} for all to ${role} using (true) with check (true)`;
      }
      // Readiness (server/ops/migrations.ts) compares the applied migrations with the build's journal: read only.
      await tx`grant usage on schema drizzle to ${role}`;
      await tx`grant select on drizzle.__drizzle_migrations to ${role}`;
      // The trail is append-only for the app: read and insert, nothing else (also not TRIGGER or REFERENCES).
      await tx`revoke all on table audit_events from ${role}`;
      await tx`grant select, insert on table audit_events to ${role}`;
    });
  } finally {
    await client.end();
  }
}

function quietLogger() {
  // Migrations have nothing worth printing.
  return new Logger(() => () => {});
}
