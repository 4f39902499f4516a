import { Attribute, Change, Client, escapeFilter } from "ldapts";
import { readFileSync, rmSync } from "node:fs";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson, { type SuperJSONResult } from "superjson";
import pino from "pino";
import type { z } from "zod";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { grants, users } from "@/db/schema";
import { addMember } from "@/server/access-groups/members";
import { createAccessGroup, updateCriteria, updateLimits, updateLocations, updateSettings } from "@/server/access-groups/service";
import { criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema } from "@/server/access-groups/policy/schemas";
import { db } from "@/db";
import type { AuditActor } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { findUser, getGroupByGuid, listGroupMembers, searchGroups } from "@/server/directory/service";
import { publishPrivilege } from "@/server/privileges/service";
import { submitRequest } from "@/server/requests/service";
import { upsertDirectoryUser } from "@/server/users/service";

export const BASE_DN = process.env.LDAP_BASE_DN ?? "DC=interim,DC=test";
export const TEST_OU = `OU=IntegrationTests,OU=Interim,${BASE_DN}`;
export const PRIVILEGE_OU = process.env.LDAP_PRIVILEGE_BASE_DN ?? `OU=Privileges,OU=Interim,${BASE_DN}`;
export const TEST_PASSWORD = "Interim-Test-2026!";

/** An administrative connection for test set-up only (the product never uses these credentials). */
export async function adminClient(): Promise<Client> {
  const url = (process.env.LDAP_URL ?? "").split(",")[0]!;
  const client = new Client({ url, tlsOptions: { ca: [readFileSync(process.env.LDAP_CA_FILE!)] }, timeout: 15_000 });
  await client.bind(process.env.AD_ADMIN_DN!, process.env.AD_ADMIN_PASSWORD!);
  return client;
}

async function exists(c: Client, dn: string): Promise<boolean> {
  try {
    await c.search(dn, { scope: "base", attributes: ["distinguishedName"] });
    return true;
  } catch {
    return false;
  }
}

export async function ensureTestOu(c: Client) {
  if (!(await exists(c, TEST_OU))) await c.add(TEST_OU, { objectClass: ["top", "organizationalUnit"], ou: "IntegrationTests" });
}

/** A real AD user with a password, created once and reused across runs. */
export async function ensureAdUser(c: Client, sam: string): Promise<string> {
  await ensureTestOu(c);
  const dn = `CN=${sam},${TEST_OU}`;
  if (!(await exists(c, dn))) {
    await c.add(dn, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: sam,
      userPrincipalName: `${sam}@interim.test`,
      displayName: `Test ${sam}`,
      userAccountControl: "514",
    });
  }
  const pwd = Buffer.from(`"${TEST_PASSWORD}"`, "utf16le");
  await c.modify(dn, [
    new Change({ operation: "replace", modification: new Attribute({ type: "unicodePwd", values: [pwd] }) }),
    new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: ["512"] }) }),
    new Change({ operation: "replace", modification: new Attribute({ type: "lockoutTime", values: ["0"] }) }),
    // Notifications mail people at the address AD has for them.
    new Change({ operation: "replace", modification: new Attribute({ type: "mail", values: [`${sam}@interim.test`] }) }),
  ]);
  return dn;
}

/** A group under the privilege OU (where the service account may write `member`), emptied. */
export async function ensureAdGroup(c: Client, cn: string): Promise<string> {
  const dn = `CN=${cn},${PRIVILEGE_OU}`;
  if (!(await exists(c, dn))) {
    await c.add(dn, {
      objectClass: ["top", "group"],
      sAMAccountName: cn.replace(/\s+/g, "-").slice(0, 20),
      groupType: "-2147483646",
      description: "integration test group",
    });
  }
  const members = await listGroupMembers({ dn });
  if (members.length)
    await c.modify(dn, new Change({ operation: "delete", modification: new Attribute({ type: "member", values: members.map((m) => m.dn) }) }));
  return dn;
}

export async function adAddMember(c: Client, groupDn: string, memberDn: string) {
  await c.modify(groupDn, new Change({ operation: "add", modification: new Attribute({ type: "member", values: [memberDn] }) }));
}

export async function isDirectMember(groupDn: string, memberDn: string): Promise<boolean> {
  return (await listGroupMembers({ dn: groupDn })).some((m) => m.dn.toLowerCase() === memberDn.toLowerCase());
}

/** Empties the app's tables and graphile-worker's queue (not the directory), as the database owner. */
export async function resetDatabase() {
  await asTableOwner(
    sql`truncate audit_events, siem_export_state, notification_deliveries, notification_events, grants, request_decisions, requests, privilege_set_items, privilege_set_accounts, privilege_sets, privileges, signin_attempts, directory_settings, users, access_groups, catalog_devices, catalog_credentials, catalog_sync_runs, drift_findings, privilege_drift_settings, drift_last_check, directory_outages, audit_chain_alerts restart identity cascade`,
  );
  await db.execute(sql`delete from graphile_worker._private_jobs`);
  // The audit checkpoints of the emptied trail would no longer match it.
  if (process.env.AUDIT_CHECKPOINT_FILE) rmSync(process.env.AUDIT_CHECKPOINT_FILE, { force: true });
}

/**
 * The schema owner's connection (DATABASE_OWNER_URL, set by scripts/with-stack.ts): the app's own
 * role (DATABASE_URL) may not truncate, edit or delete audit events, nor switch triggers off.
 */
export function ownerDb() {
  ownerConnection ??= drizzle(postgres(process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL!, { max: 1, idle_timeout: 2, onnotice: () => {} }));
  return ownerConnection;
}
let ownerConnection: ReturnType<typeof drizzle> | undefined;

/**
 * Runs a statement as the owner with ordinary triggers off — what a superuser could do — so tests
 * can empty or tamper with the append-only audit table.
 */
export async function asTableOwner(statement: ReturnType<typeof sql>) {
  await ownerDb().transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(statement);
  });
}

export async function localUser(sam: string, isAdmin = false): Promise<SessionUser> {
  const person = await findUser(sam);
  if (!person) throw new Error(`no AD user ${sam}`);
  return upsertDirectoryUser(db, person, isAdmin, false);
}

export const actorFor = (u: SessionUser): AuditActor => ({ type: "user", id: u.id, name: u.username, ip: "127.0.0.1", userAgent: "vitest" });

export async function publish(admin: SessionUser, groupCn: string, maxMinutes = 60) {
  const [group] = (await searchGroups(groupCn)).filter((g) => g.name === groupCn);
  if (!group) throw new Error(`group ${groupCn} not found`);
  const fresh = await getGroupByGuid(group.objectGuid);
  return publishPrivilege(admin, actorFor(admin), {
    groupGuid: fresh!.objectGuid,
    name: `${groupCn} (${Math.random().toString(36).slice(2, 7)})`,
    description: "",
    maxDurationMinutes: maxMinutes,
    defaultDurationMinutes: Math.min(5, maxMinutes),
    allowExtension: false,
    tags: [],
  });
}

/**
 * Submits a request through the service, then shortens the pending grant to `seconds` so tests
 * need not wait minutes (the product's smallest unit is a minute). Only valid while no worker
 * has activated the grant yet.
 */
export async function requestFor(user: SessionUser, privilegeId: string, seconds?: number) {
  const r = await submitRequest(user, actorFor(user), { privilegeId, durationMinutes: 1, justification: "integration test" });
  const grantId = r.grantId;
  if (grantId === null) throw new Error("the request waits for approval; requestFor expects an open access group");
  if (seconds !== undefined) await db.execute(sql`update grants set duration_seconds = ${seconds} where id = ${grantId} and state = 'pending'`);
  return { ...r, grantId };
}

/**
 * An access group that allows every privilege to `people` at any time from anywhere, without
 * approval or extra fields: for tests about the grant loop rather than about policy.
 */
export async function openAccessGroup(admin: SessionUser, people: SessionUser[], name = `Open ${Math.random().toString(36).slice(2, 7)}`) {
  const actor = actorFor(admin);
  const group = await createAccessGroup(admin, actor, { name, description: "integration tests", timeZone: "UTC" });
  await updateSettings(admin, actor, {
    id: group.id,
    version: group.version,
    name,
    description: "integration tests",
    enabled: true,
    timeZone: "UTC",
    settings: { ...group.settings, autoGrantOnProvisioning: true },
  });
  const guids = await db.select({ id: users.id, guid: users.objectGuid }).from(users);
  for (const person of people) {
    const guid = guids.find((g) => g.id === person.id)?.guid;
    if (!guid) throw new Error(`${person.username} has no users row`);
    await addMember(admin, actor, group.id, guid);
  }
  return group;
}

export async function grantRow(id: string) {
  const [row] = await db
    .select({
      state: grants.state,
      expires_at: grants.expiresAt,
      removed_at: grants.removedAt,
      end_reason: grants.endReason,
      attempts: grants.attempts,
      last_error: grants.lastError,
    })
    .from(grants)
    .where(eq(grants.id, id));
  return row!;
}

/** Polls until `check` is true or the deadline passes (no fixed sleeps). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export { escapeFilter };

// ---- Access groups (access-groups.test.ts, enforcement.test.ts) ----

/** A security group under the test OU, for access-group membership (not publishable), emptied. */
export async function ensureTestOuGroup(c: Client, cn: string): Promise<string> {
  await ensureTestOu(c);
  const dn = `CN=${cn},${TEST_OU}`;
  if (!(await exists(c, dn))) {
    await c.add(dn, { objectClass: ["top", "group"], sAMAccountName: cn, groupType: "-2147483646", description: "integration test group" });
  }
  const members = await listGroupMembers({ dn });
  if (members.length)
    await c.modify(dn, new Change({ operation: "delete", modification: new Attribute({ type: "member", values: members.map((m) => m.dn) }) }));
  return dn;
}

export async function adRemoveMember(c: Client, groupDn: string, memberDn: string) {
  await c.modify(groupDn, new Change({ operation: "delete", modification: new Attribute({ type: "member", values: [memberDn] }) }));
}

/** An actor like actorFor's, requesting from `ip` (locations are resolved from it). */
export const actorAt = (u: SessionUser, ip: string): AuditActor => ({ ...actorFor(u), ip });

export async function directoryGuid(sam: string): Promise<string> {
  const person = await findUser(sam);
  if (!person) throw new Error(`no AD user ${sam}`);
  return person.objectGuid;
}

/** Publishes an AD group under the privilege OU with a name and tags the test chooses. */
export async function publishNamed(admin: SessionUser, groupCn: string, name: string, tags: string[] = [], maxMinutes = 120) {
  const [group] = (await searchGroups(groupCn)).filter((g) => g.name === groupCn);
  if (!group) throw new Error(`group ${groupCn} not found`);
  return publishPrivilege(admin, actorFor(admin), {
    groupGuid: group.objectGuid,
    name,
    description: "",
    maxDurationMinutes: maxMinutes,
    defaultDurationMinutes: Math.min(5, maxMinutes),
    allowExtension: false,
    tags,
  });
}

export interface AccessGroupSpec {
  name: string;
  timeZone?: string;
  enabled?: boolean;
  settings?: z.input<typeof groupSettingsSchema>;
  criteria?: z.input<typeof criteriaSchema>;
  limits?: z.input<typeof limitsSchema>;
  locations?: z.input<typeof locationPolicySchema>;
  /** AD users or groups, by objectGUID. */
  members?: string[];
}

/** An access group set up tab by tab through the services, as an admin would in the dashboard. */
export async function configuredAccessGroup(admin: SessionUser, spec: AccessGroupSpec) {
  const actor = actorFor(admin);
  const timeZone = spec.timeZone ?? "UTC";
  let row = await createAccessGroup(admin, actor, { name: spec.name, description: "", timeZone });
  row = await updateSettings(admin, actor, {
    id: row.id,
    version: row.version,
    name: spec.name,
    description: "",
    enabled: spec.enabled ?? true,
    timeZone,
    settings: groupSettingsSchema.parse(spec.settings ?? {}),
  });
  if (spec.criteria) row = await updateCriteria(admin, actor, { id: row.id, version: row.version, criteria: criteriaSchema.parse(spec.criteria) });
  if (spec.limits) row = await updateLimits(admin, actor, { id: row.id, version: row.version, limits: limitsSchema.parse(spec.limits) });
  if (spec.locations) row = await updateLocations(admin, actor, { id: row.id, version: row.version, locations: locationPolicySchema.parse(spec.locations) });
  for (const guid of spec.members ?? []) await addMember(admin, actor, row.id, guid);
  return row;
}

export type TrpcHttpResult = { ok: true; data: unknown } | { ok: false; code: string; message: string; fieldErrors: Record<string, string[]> | null };

/**
 * One tRPC call through the fetch adapter, as the browser makes it: the procedure's middleware and
 * the error formatter (zod field errors as data) run. The context is the one createContext would
 * build for `user` signed in and calling from `ip`.
 */
export async function trpcHttp(user: SessionUser, path: string, input: unknown, opts: { ip?: string; query?: boolean } = {}): Promise<TrpcHttpResult> {
  const base = `http://interim.test/api/trpc/${path}`;
  const body = JSON.stringify(superjson.serialize(input));
  const req = opts.query
    ? new Request(`${base}?input=${encodeURIComponent(body)}`)
    : new Request(base, { method: "POST", body, headers: { "content-type": "application/json" } });
  // Loaded here, not at the top: most test files never need the whole router (and next-auth).
  const { appRouter } = await import("@/server/trpc/root");
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => ({ user, ip: opts.ip ?? "127.0.0.1", userAgent: "vitest", requestId: "vitest", log: pino({ level: "silent" }) }),
  });
  const payload = (await res.json()) as { result?: { data: SuperJSONResult }; error?: SuperJSONResult };
  if (payload.result) return { ok: true, data: superjson.deserialize(payload.result.data) };
  const shape = superjson.deserialize<{ message: string; data: { code: string; fieldErrors: Record<string, string[]> | null } }>(payload.error!);
  return { ok: false, code: shape.data.code, message: shape.message, fieldErrors: shape.data.fieldErrors };
}
