import "server-only";
import { and, desc, eq, ne, or, sql, type SQL } from "drizzle-orm";
import { db, type Executor } from "@/db";
import { catalogCredentials, catalogDevices, catalogSyncRuns, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { conflict, invalid, notFound } from "@/server/errors";
import { matchesText } from "@/server/lists/paging";
import {
  DIRECTORY_OWNED,
  type CatalogListInput,
  type CreateCredentialInput,
  type CreateDeviceInput,
  type UpdateCredentialInput,
  type UpdateDeviceInput,
} from "./schemas";
import { credentialSearchColumns, deviceSearchColumns } from "./lists";
import { ownerChange } from "./owner";
import { enqueueCatalogSync, runHasUnclaimedJob } from "./sync";

type Device = typeof catalogDevices.$inferSelect;
type Credential = typeof catalogCredentials.$inferSelect;

const LIST_LIMIT = 500;
// Manual names are unique (ignoring case) without a unique index: the check and the write
// serialize on these locks instead.
const DEVICE_NAME_LOCK = 0x1a7e_ca01;
const CREDENTIAL_NAME_LOCK = 0x1a7e_ca02;
const SYNC_REQUEST_LOCK = 0x1a7e_ca03;

function deviceSnapshot(d: Device) {
  return {
    name: d.name,
    model: d.model,
    type: d.type,
    tags: d.tags,
    website: d.website,
    source: d.source,
    objectGuid: d.objectGuid,
    dn: d.dn,
    present: d.present,
  };
}

function credentialSnapshot(c: Credential) {
  return {
    username: c.username,
    displayName: c.displayName,
    type: c.type,
    tags: c.tags,
    deviceNames: c.deviceNames,
    source: c.source,
    objectGuid: c.objectGuid,
    dn: c.dn,
    present: c.present,
    owner: c.ownerName ?? c.ownerDn,
    ownerGuid: c.ownerGuid,
    ownerSource: c.ownerSource,
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** The fields of `patch` that would change `row` (absent fields change nothing). */
function changedFields<T extends Record<string, unknown>>(row: T, patch: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) {
    if (patch[key] !== undefined && !sameValue(row[key], patch[key])) out[key] = patch[key];
  }
  return out;
}

const LABEL: Record<string, string> = {
  name: "name",
  model: "model",
  type: "type",
  username: "username",
  displayName: "display name",
  deviceNames: "device names",
};

/** Directory rows: AD owns the synced fields; an edit would be undone by the next sync. */
function refuseDirectoryOwned(kind: "device" | "credential", title: string, changes: Record<string, unknown>) {
  const owned = (DIRECTORY_OWNED[kind] as readonly string[]).filter((f) => f in changes);
  if (owned.length === 0) return;
  const names = owned.map((f) => LABEL[f] ?? f);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
  throw invalid(
    `The ${list} of “${title}” come${owned.length === 1 ? "s" : ""} from Active Directory. Change ${owned.length === 1 ? "it" : "them"} there; the next catalog sync brings the change here.`,
  );
}

function rethrowForeignKey(what: string) {
  return (err: unknown): never => {
    const cause = (err as { cause?: { code?: string } }).cause ?? (err as { code?: string });
    if (cause?.code === "23503") throw conflict(`${what} is referred to by access requests and cannot be deleted.`);
    throw err;
  };
}

// ------------------------------------------------------------------------- devices --

async function assertDeviceNameFree(tx: Executor, name: string, exceptId?: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(${DEVICE_NAME_LOCK}::bigint)`);
  const [dupe] = await tx
    .select({ name: catalogDevices.name, source: catalogDevices.source })
    .from(catalogDevices)
    .where(
      and(
        sql`lower(${catalogDevices.name}) = lower(${name})`,
        // A device that left AD no longer blocks its name.
        or(eq(catalogDevices.source, "manual"), eq(catalogDevices.present, true)),
        exceptId ? ne(catalogDevices.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  if (dupe) {
    const where = dupe.source === "directory" ? " (from Active Directory; add tags or a website to that one instead)" : "";
    throw conflict(`A device named “${dupe.name}” is already in the catalog${where}.`);
  }
}

export async function listDevices(user: SessionUser, input: CatalogListInput) {
  assertCan(user, "read", "Catalog");
  const where: SQL[] = [];
  if (!input.includeRemoved) where.push(eq(catalogDevices.present, true));
  const search = matchesText(input.search, deviceSearchColumns);
  if (search) where.push(search);
  const rows = await db
    .select()
    .from(catalogDevices)
    .where(where.length ? and(...where) : undefined)
    .orderBy(sql`lower(${catalogDevices.name})`, catalogDevices.id)
    .limit(LIST_LIMIT + 1);
  return { items: rows.slice(0, LIST_LIMIT), truncated: rows.length > LIST_LIMIT };
}

export async function createDevice(user: SessionUser, actor: AuditActor, input: CreateDeviceInput) {
  assertCan(user, "manage", "Catalog");
  return db.transaction(async (tx) => {
    await assertDeviceNameFree(tx, input.name);
    const [row] = await tx
      .insert(catalogDevices)
      .values({ source: "manual", name: input.name, model: input.model, type: input.type, tags: input.tags, website: input.website })
      .returning();
    await recordAudit(tx, actor, [{ action: "catalog.item_created", targetType: "device", targetId: row!.id, data: { after: deviceSnapshot(row!) } }]);
    return row!;
  });
}

export async function updateDevice(user: SessionUser, actor: AuditActor, input: UpdateDeviceInput) {
  assertCan(user, "manage", "Catalog");
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(catalogDevices).where(eq(catalogDevices.id, input.id)).for("update");
    if (!before) throw notFound("This device is no longer in the catalog.");
    const changes = changedFields(before, { name: input.name, model: input.model, type: input.type, tags: input.tags, website: input.website });
    if (before.source === "directory") refuseDirectoryOwned("device", before.name, changes);
    if (Object.keys(changes).length === 0) return before;
    if (changes.name !== undefined) await assertDeviceNameFree(tx, changes.name, before.id);
    const [after] = await tx
      .update(catalogDevices)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(catalogDevices.id, before.id))
      .returning();
    await recordAudit(tx, actor, [
      { action: "catalog.item_updated", targetType: "device", targetId: before.id, data: { before: deviceSnapshot(before), after: deviceSnapshot(after!) } },
    ]);
    return after!;
  });
}

export async function deleteDevice(user: SessionUser, actor: AuditActor, id: string) {
  assertCan(user, "manage", "Catalog");
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(catalogDevices).where(eq(catalogDevices.id, id)).for("update");
    if (!before) throw notFound("This device is no longer in the catalog.");
    if (before.source === "directory") {
      throw invalid(`“${before.name}” comes from Active Directory: the catalog sync removes it when it leaves the directory.`);
    }
    await tx.delete(catalogDevices).where(eq(catalogDevices.id, id));
    await recordAudit(tx, actor, [{ action: "catalog.item_deleted", targetType: "device", targetId: id, data: { before: deviceSnapshot(before) } }]);
    return { id };
  });
}

// --------------------------------------------------------------------- credentials --

async function assertUsernameFree(tx: Executor, username: string, exceptId?: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(${CREDENTIAL_NAME_LOCK}::bigint)`);
  const [dupe] = await tx
    .select({ username: catalogCredentials.username, source: catalogCredentials.source })
    .from(catalogCredentials)
    .where(
      and(
        sql`lower(${catalogCredentials.username}) = lower(${username})`,
        or(eq(catalogCredentials.source, "manual"), eq(catalogCredentials.present, true)),
        exceptId ? ne(catalogCredentials.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  if (dupe) {
    const where = dupe.source === "directory" ? " (from Active Directory; add tags to that one instead)" : "";
    throw conflict(`A credential named “${dupe.username}” is already in the catalog${where}.`);
  }
}

export async function listCredentials(user: SessionUser, input: CatalogListInput) {
  assertCan(user, "read", "Catalog");
  const where: SQL[] = [];
  if (!input.includeRemoved) where.push(eq(catalogCredentials.present, true));
  const search = matchesText(input.search, credentialSearchColumns);
  if (search) where.push(search);
  const rows = await db
    .select()
    .from(catalogCredentials)
    .where(where.length ? and(...where) : undefined)
    .orderBy(sql`lower(${catalogCredentials.username})`, catalogCredentials.id)
    .limit(LIST_LIMIT + 1);
  return { items: rows.slice(0, LIST_LIMIT), truncated: rows.length > LIST_LIMIT };
}

export async function createCredential(user: SessionUser, actor: AuditActor, input: CreateCredentialInput) {
  assertCan(user, "manage", "Catalog");
  return db.transaction(async (tx) => {
    await assertUsernameFree(tx, input.username);
    const [row] = await tx
      .insert(catalogCredentials)
      .values({
        source: "manual",
        username: input.username,
        displayName: input.displayName,
        type: input.type,
        tags: input.tags,
        deviceNames: input.deviceNames,
      })
      .returning();
    await recordAudit(tx, actor, [{ action: "catalog.item_created", targetType: "credential", targetId: row!.id, data: { after: credentialSnapshot(row!) } }]);
    return row!;
  });
}

export async function updateCredential(user: SessionUser, actor: AuditActor, input: UpdateCredentialInput) {
  assertCan(user, "manage", "Catalog");
  const [current] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, input.id));
  if (!current) throw notFound("This credential is no longer in the catalog.");
  const owner = await ownerChange(current, input.owner);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(catalogCredentials).where(eq(catalogCredentials.id, input.id)).for("update");
    if (!before) throw notFound("This credential is no longer in the catalog.");
    const changes = changedFields(before, {
      username: input.username,
      displayName: input.displayName,
      type: input.type,
      tags: input.tags,
      deviceNames: input.deviceNames,
      ...owner,
    });
    if (before.source === "directory") refuseDirectoryOwned("credential", before.username, changes);
    if (Object.keys(changes).length === 0) return before;
    if (changes.username !== undefined) await assertUsernameFree(tx, changes.username, before.id);
    const [after] = await tx
      .update(catalogCredentials)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(catalogCredentials.id, before.id))
      .returning();
    await recordAudit(tx, actor, [
      {
        action: "catalog.item_updated",
        targetType: "credential",
        targetId: before.id,
        data: { before: credentialSnapshot(before), after: credentialSnapshot(after!) },
      },
    ]);
    return after!;
  });
}

export async function deleteCredential(user: SessionUser, actor: AuditActor, id: string) {
  assertCan(user, "manage", "Catalog");
  return db
    .transaction(async (tx) => {
      const [before] = await tx.select().from(catalogCredentials).where(eq(catalogCredentials.id, id)).for("update");
      if (!before) throw notFound("This credential is no longer in the catalog.");
      if (before.source === "directory") {
        throw invalid(`“${before.username}” comes from Active Directory: the catalog sync removes it when it leaves the directory.`);
      }
      await tx.delete(catalogCredentials).where(eq(catalogCredentials.id, id));
      await recordAudit(tx, actor, [{ action: "catalog.item_deleted", targetType: "credential", targetId: id, data: { before: credentialSnapshot(before) } }]);
      return { id };
    })
    .catch(rethrowForeignKey("This credential"));
}

// ---------------------------------------------------------------------------- sync --

/**
 * "Sync now". A run already waiting is joined rather than doubled (two admins clicking at once
 * watch the same run); otherwise a queued run and its job are created together. The completion
 * is audited by the worker (catalog.sync_completed); the run records who asked.
 */
export async function requestCatalogSync(user: SessionUser, actor: AuditActor): Promise<{ id: string; joined: boolean }> {
  assertCan(user, "manage", "Catalog");
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SYNC_REQUEST_LOCK}::bigint)`);
    const [waiting] = await tx
      .select({ id: catalogSyncRuns.id })
      .from(catalogSyncRuns)
      .where(and(eq(catalogSyncRuns.state, "queued"), runHasUnclaimedJob()))
      .orderBy(desc(catalogSyncRuns.createdAt))
      .limit(1);
    let run = waiting ? { id: waiting.id, joined: true } : null;
    if (!run) {
      const [created] = await tx.insert(catalogSyncRuns).values({ trigger: "manual", requestedBy: user.id }).returning({ id: catalogSyncRuns.id });
      await enqueueCatalogSync(tx, created!.id);
      run = { id: created!.id, joined: false };
    }
    await recordAudit(tx, actor, [{ action: "catalog.sync_requested", targetType: "catalog_sync", targetId: run.id, data: { joined: run.joined } }]);
    return run;
  });
}

const runColumns = {
  id: catalogSyncRuns.id,
  state: catalogSyncRuns.state,
  trigger: catalogSyncRuns.trigger,
  requestedBy: users.username,
  total: catalogSyncRuns.total,
  processed: catalogSyncRuns.processed,
  added: catalogSyncRuns.added,
  updated: catalogSyncRuns.updated,
  removed: catalogSyncRuns.removed,
  error: catalogSyncRuns.error,
  createdAt: catalogSyncRuns.createdAt,
  startedAt: catalogSyncRuns.startedAt,
  finishedAt: catalogSyncRuns.finishedAt,
};

/** The most recent runs with their progress (without the change lists). */
export async function latestSyncRuns(user: SessionUser, limit: number) {
  assertCan(user, "read", "Catalog");
  return db
    .select(runColumns)
    .from(catalogSyncRuns)
    .leftJoin(users, eq(users.id, catalogSyncRuns.requestedBy))
    .orderBy(desc(catalogSyncRuns.createdAt))
    .limit(limit);
}

/** One run with its progress and what it changed; polled by the page while it runs. */
export async function getSyncRun(user: SessionUser, id: string) {
  assertCan(user, "read", "Catalog");
  const [run] = await db
    .select({ ...runColumns, changes: catalogSyncRuns.changes })
    .from(catalogSyncRuns)
    .leftJoin(users, eq(users.id, catalogSyncRuns.requestedBy))
    .where(eq(catalogSyncRuns.id, id));
  if (!run) throw notFound("No such catalog sync.");
  return run;
}
