import { and, eq, inArray, ne, or, sql } from "drizzle-orm";
import { db, type Executor } from "@/db";
import { catalogCredentials, catalogDevices, catalogSyncRuns, type CatalogChange } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { listCatalogAccounts, listCatalogComputers, type DirectoryAccount, type DirectoryComputer } from "@/server/directory/catalog";
import { env } from "@/server/env";
import { LockTimeoutError, withSessionLock } from "@/server/jobs/locks";

/*
 * The catalog sync: AD → catalog_devices / catalog_credentials, keyed by objectGUID.
 *
 * Ownership, the rule an admin can rely on:
 * - AD owns what the sync writes: a device's name, model (operatingSystem), type (derived from
 *   it) and DN; a credential's username, display name, type and device names (userWorkstations).
 * - Admins own tags. The sync never touches them.
 * - Website: AD's wWWHomePage fills a device's website only while the catalog has none. Once a
 *   row has a website — from AD earlier or typed by an admin — the sync leaves it alone; an admin
 *   clears it to hand it back to AD. (The schema does not record who set a website, so "empty"
 *   is the only safe signal that an admin has not chosen one.)
 * - A row that leaves AD (or the configured OUs) is kept with present=false ("removed") and comes
 *   back ("restored") with its tags if the object reappears. A kind whose OUs are not configured
 *   is not synced at all: nothing of it is removed.
 *
 * Runs never overlap: each holds a session advisory lock on a connection of its own for its
 * whole length. Postgres drops that lock the moment the worker dies, so the next sync starts at
 * once and marks the dead run failed. (A graphile-worker named queue would also serialize runs,
 * but a SIGKILLed worker keeps its queue locked for 4 hours, stopping every sync until then.)
 */

export const CATALOG_SYNC_TASK = "catalog__sync";
export const MAX_STORED_CHANGES = 500;
const BATCH_SIZE = 250;
const PROGRESS_EVERY_MS = 250;
const SYNC_LOCK = 0x1a7e_ca7a;
const LOCK_WAIT_MS = 10 * 60_000;
const LOCK_POLL_MS = 250;

type SyncRun = typeof catalogSyncRuns.$inferSelect;
type DeviceRow = typeof catalogDevices.$inferSelect;
type CredentialRow = typeof catalogCredentials.$inferSelect;
type DeviceValues = typeof catalogDevices.$inferInsert;
type CredentialValues = typeof catalogCredentials.$inferInsert;

const JOB_KEY_PREFIX = "catalog-sync:";
export const syncJobKey = (runId: string) => `${JOB_KEY_PREFIX}${runId}`;

/** SQL: the run still has its job (waiting, retrying or running). */
export function runHasJob() {
  return sql`exists (select 1 from graphile_worker.jobs j where j.key = ${JOB_KEY_PREFIX} || ${catalogSyncRuns.id}::text)`;
}

/**
 * SQL: the run's job waits and no worker holds it. A job taken by a worker that was then killed
 * stays locked for hours (graphile-worker frees such locks after 4 h), so "Sync now" must not join it.
 */
export function runHasUnclaimedJob() {
  return sql`exists (select 1 from graphile_worker.jobs j where j.key = ${JOB_KEY_PREFIX} || ${catalogSyncRuns.id}::text and j.locked_at is null)`;
}

/** Queues the job for a run, in the caller's transaction (the run and its job commit together). */
export async function enqueueCatalogSync(tx: Executor, runId: string) {
  await tx.execute(sql`select graphile_worker.add_job(
    identifier => ${CATALOG_SYNC_TASK}::text,
    payload => json_build_object('runId', ${runId}::text),
    max_attempts => 3,
    job_key => ${syncJobKey(runId)}::text
  )`);
}

// ------------------------------------------------------------------ planning (pure) --

export type FieldChanges = NonNullable<CatalogChange["fields"]>;

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** The fields of `next` that differ from `current`, old → new. */
export function diffFields<T extends Record<string, unknown>>(current: T, next: Partial<T>): FieldChanges {
  const fields: FieldChanges = {};
  for (const key of Object.keys(next) as (keyof T & string)[]) {
    if (!same(current[key], next[key])) fields[key] = { from: current[key] ?? null, to: next[key] ?? null };
  }
  return fields;
}

export type SyncStep<V> =
  | { op: "insert"; values: V; change: CatalogChange }
  | { op: "update"; id: string; set: Partial<V> & { present?: boolean }; change: CatalogChange }
  /** Unchanged: counted for progress, not written (a steady-state sync writes almost nothing). */
  | { op: "seen"; id: string }
  | { op: "remove"; id: string; change: CatalogChange };

interface SyncedRow extends Record<string, unknown> {
  id: string;
  objectGuid: string | null;
  present: boolean;
}

/**
 * Turns "what AD has" and "what the catalog has" into steps. `owned` is the AD-owned part of an
 * object; `extra` adds fields the sync may set on an existing row (a device's website).
 */
function plan<Row extends SyncedRow, Ad extends { objectGuid: string }, V extends Record<string, unknown>>(opts: {
  kind: CatalogChange["kind"];
  existing: Row[];
  fromAd: Ad[];
  label: (x: Record<string, unknown>) => string;
  owned: (ad: Ad) => Partial<Row>;
  extra?: (row: Row, ad: Ad) => Partial<Row>;
  insert: (ad: Ad) => V;
}): SyncStep<V>[] {
  const byGuid = new Map(opts.existing.map((r) => [r.objectGuid, r]));
  const seen = new Set<string>();
  const steps: SyncStep<V>[] = [];
  for (const ad of opts.fromAd) {
    seen.add(ad.objectGuid);
    const row = byGuid.get(ad.objectGuid);
    if (!row) {
      const values = opts.insert(ad);
      steps.push({ op: "insert", values, change: { kind: opts.kind, name: opts.label(values), change: "added" } });
      continue;
    }
    const next = { ...opts.owned(ad), ...opts.extra?.(row, ad) };
    const fields = diffFields(row, next);
    const set = Object.fromEntries(Object.keys(fields).map((k) => [k, next[k]])) as Partial<V>;
    const name = opts.label({ ...row, ...next });
    const hasFields = Object.keys(fields).length > 0;
    if (!row.present) {
      steps.push({ op: "update", id: row.id, set: { ...set, present: true }, change: { kind: opts.kind, name, change: "restored", ...(hasFields ? { fields } : {}) } });
    } else if (hasFields) {
      steps.push({ op: "update", id: row.id, set, change: { kind: opts.kind, name, change: "updated", fields } });
    } else {
      steps.push({ op: "seen", id: row.id });
    }
  }
  for (const row of opts.existing) {
    if (row.present && row.objectGuid && !seen.has(row.objectGuid)) {
      steps.push({ op: "remove", id: row.id, change: { kind: opts.kind, name: opts.label(row), change: "removed" } });
    }
  }
  return steps;
}

export type DeviceState = Pick<DeviceRow, "id" | "objectGuid" | "present" | "name" | "model" | "type" | "dn" | "website">;
export type CredentialState = Pick<CredentialRow, "id" | "objectGuid" | "present" | "username" | "displayName" | "type" | "dn" | "deviceNames">;

export function planDeviceSync(existing: DeviceState[], fromAd: DirectoryComputer[]): SyncStep<DeviceValues>[] {
  return plan<DeviceState, DirectoryComputer, DeviceValues>({
    kind: "device",
    existing,
    fromAd,
    label: (x) => String(x.name ?? ""),
    owned: (c) => ({ name: c.name, model: c.model, type: c.type, dn: c.dn }),
    // The website rule (see the top of this file): AD fills it only while the row has none.
    extra: (row, c) => (row.website === null && c.website ? { website: c.website } : {}),
    insert: (c) => ({ source: "directory", objectGuid: c.objectGuid, dn: c.dn, name: c.name, model: c.model, type: c.type, website: c.website }),
  });
}

export function planCredentialSync(existing: CredentialState[], fromAd: DirectoryAccount[]): SyncStep<CredentialValues>[] {
  return plan<CredentialState, DirectoryAccount, CredentialValues>({
    kind: "credential",
    existing,
    fromAd,
    label: (x) => String(x.username ?? ""),
    owned: (a) => ({ username: a.username, displayName: a.displayName, type: a.type, deviceNames: a.deviceNames, dn: a.dn }),
    insert: (a) => ({
      source: "directory",
      objectGuid: a.objectGuid,
      dn: a.dn,
      username: a.username,
      displayName: a.displayName,
      type: a.type,
      deviceNames: a.deviceNames,
    }),
  });
}

/**
 * Exact counts; the list itself is capped so a first sync of 50,000 objects stays a small row.
 * At the cap an update, removal or restore takes the place of an addition: those are the changes
 * an admin most needs to see.
 */
export class ChangeLog {
  added = 0;
  updated = 0;
  removed = 0;
  readonly changes: CatalogChange[] = [];

  constructor(private readonly cap = MAX_STORED_CHANGES) {}

  record(change: CatalogChange) {
    if (change.change === "added" || change.change === "restored") this.added += 1;
    else if (change.change === "updated") this.updated += 1;
    else this.removed += 1;
    if (this.changes.length < this.cap) {
      this.changes.push(change);
      return;
    }
    if (change.change === "added") return;
    const lastAdded = this.changes.findLastIndex((c) => c.change === "added");
    if (lastAdded >= 0) {
      this.changes.splice(lastAdded, 1);
      this.changes.push(change);
    }
  }
}

// ------------------------------------------------------------------------- running --

/** Runs `fn` holding the sync lock; waits (up to LOCK_WAIT_MS) for a running sync to end. */
async function withSyncLock<T>(fn: () => Promise<T>): Promise<T> {
  try {
    const result = await withSessionLock(SYNC_LOCK, fn, { waitMs: LOCK_WAIT_MS, pollMs: LOCK_POLL_MS });
    if (!result.ran) throw new Error("unreachable: a waiting lock either runs or times out");
    return result.value;
  } catch (err) {
    if (err instanceof LockTimeoutError) throw new Error("Another catalog sync has been running for over 10 minutes; this one will retry.");
    throw err;
  }
}

function syncCompleted(run: SyncRun) {
  return {
    action: "catalog.sync_completed" as const,
    targetType: "catalog_sync" as const,
    targetId: run.id,
    data: {
      trigger: run.trigger,
      state: run.state === "succeeded" ? ("succeeded" as const) : ("failed" as const),
      added: run.added,
      updated: run.updated,
      removed: run.removed,
      error: run.error,
    },
  };
}

/**
 * Called with the lock held, so no other sync runs: a "running" run is one whose worker died,
 * and a "queued" run without a job will never start.
 */
async function failAbandonedRuns(exceptId: string) {
  await db.transaction(async (tx) => {
    const failed = await tx
      .update(catalogSyncRuns)
      .set({
        state: "failed",
        finishedAt: new Date(),
        error: sql`case when ${catalogSyncRuns.state} = 'running'
          then 'The sync stopped before it finished (the worker was stopped or crashed).'
          else 'The sync job was lost before it ran.' end`,
      })
      .where(
        and(
          ne(catalogSyncRuns.id, exceptId),
          or(
            eq(catalogSyncRuns.state, "running"),
            and(
              eq(catalogSyncRuns.state, "queued"),
              sql`not ${runHasJob()}`,
            ),
          ),
        ),
      )
      .returning();
    await recordAudit(tx, SYSTEM_ACTOR, failed.map(syncCompleted));
  });
}

async function readState() {
  const [devices, credentials] = await Promise.all([
    db
      .select({
        id: catalogDevices.id,
        objectGuid: catalogDevices.objectGuid,
        present: catalogDevices.present,
        name: catalogDevices.name,
        model: catalogDevices.model,
        type: catalogDevices.type,
        dn: catalogDevices.dn,
        website: catalogDevices.website,
      })
      .from(catalogDevices)
      .where(eq(catalogDevices.source, "directory")),
    db
      .select({
        id: catalogCredentials.id,
        objectGuid: catalogCredentials.objectGuid,
        present: catalogCredentials.present,
        username: catalogCredentials.username,
        displayName: catalogCredentials.displayName,
        type: catalogCredentials.type,
        dn: catalogCredentials.dn,
        deviceNames: catalogCredentials.deviceNames,
      })
      .from(catalogCredentials)
      .where(eq(catalogCredentials.source, "directory")),
  ]);
  return { devices, credentials };
}

type Table = typeof catalogDevices | typeof catalogCredentials;

async function applySteps<V>(tx: Executor, table: Table, steps: SyncStep<V>[], now: Date) {
  const inserts = steps.flatMap((s) => (s.op === "insert" ? [{ ...s.values, syncedAt: now }] : []));
  if (inserts.length) await tx.insert(table).values(inserts as never);
  const removed = steps.flatMap((s) => (s.op === "remove" ? [s.id] : []));
  if (removed.length) await tx.update(table).set({ present: false, updatedAt: now }).where(inArray(table.id, removed));
  for (const s of steps) {
    if (s.op !== "update") continue;
    const set: Record<string, unknown> = { ...s.set, syncedAt: now, updatedAt: now };
    // An admin may have typed a website since we read the row: theirs wins (coalesce).
    if ("website" in set && table === catalogDevices) set.website = sql`coalesce(${catalogDevices.website}, ${set.website as string})`;
    await tx.update(table).set(set).where(eq(table.id, s.id));
  }
}

async function saveProgress(tx: Executor, runId: string, log: ChangeLog, progress: { total: number; processed: number }) {
  await tx
    .update(catalogSyncRuns)
    .set({ ...progress, added: log.added, updated: log.updated, removed: log.removed, changes: log.changes })
    .where(eq(catalogSyncRuns.id, runId));
}

/**
 * Success writes the final counts and changes. Failure keeps what the last committed batch saved
 * (exact: a batch's changes and its progress commit together) and adds only the error.
 */
async function finish(runId: string, outcome: { ok: true; log: ChangeLog; total: number } | { ok: false; error: string }): Promise<SyncRun> {
  return db.transaction(async (tx) => {
    const [done] = await tx
      .update(catalogSyncRuns)
      .set(
        outcome.ok
          ? {
              state: "succeeded",
              finishedAt: new Date(),
              total: outcome.total,
              processed: outcome.total,
              added: outcome.log.added,
              updated: outcome.log.updated,
              removed: outcome.log.removed,
              changes: outcome.log.changes,
            }
          : { state: "failed", finishedAt: new Date(), error: outcome.error.slice(0, 2000) },
      )
      .where(eq(catalogSyncRuns.id, runId))
      .returning();
    await recordAudit(tx, SYSTEM_ACTOR, [syncCompleted(done!)]);
    return done!;
  });
}

/** Reads AD, then applies the difference in batches, saving progress with every batch. */
async function execute(run: SyncRun): Promise<SyncRun> {
  try {
    const syncDevices = env.CATALOG_DEVICE_BASE_DNS.length > 0;
    const syncCredentials = env.CATALOG_CREDENTIAL_BASE_DNS.length > 0;
    if (!syncDevices && !syncCredentials) {
      throw new Error("No catalog OUs are configured (CATALOG_DEVICE_BASE_DNS, CATALOG_CREDENTIAL_BASE_DNS).");
    }
    // Everything is read before anything is written: a directory error can never look like
    // "all objects are gone".
    const [computers, accounts] = await Promise.all([listCatalogComputers(), listCatalogAccounts()]);
    const state = await readState();
    const deviceSteps = syncDevices ? planDeviceSync(state.devices, computers) : [];
    const credentialSteps = syncCredentials ? planCredentialSync(state.credentials, accounts) : [];
    const total = deviceSteps.length + credentialSteps.length;
    const log = new ChangeLog();
    let processed = 0;
    await saveProgress(db, run.id, log, { total, processed });

    const batches: [Table, SyncStep<unknown>[]][] = [];
    for (let i = 0; i < deviceSteps.length; i += BATCH_SIZE) batches.push([catalogDevices, deviceSteps.slice(i, i + BATCH_SIZE)]);
    for (let i = 0; i < credentialSteps.length; i += BATCH_SIZE) batches.push([catalogCredentials, credentialSteps.slice(i, i + BATCH_SIZE)]);
    let savedAt = Date.now();
    for (const [table, steps] of batches) {
      processed += steps.length;
      if (steps.some((s) => s.op !== "seen")) {
        await db.transaction(async (tx) => {
          await applySteps(tx, table, steps, new Date());
          for (const step of steps) if (step.op !== "seen") log.record(step.change);
          await saveProgress(tx, run.id, log, { total, processed });
        });
        savedAt = Date.now();
      } else if (Date.now() - savedAt >= PROGRESS_EVERY_MS) {
        // Nothing to write: no transaction of its own (each commit costs an fsync).
        await saveProgress(db, run.id, log, { total, processed });
        savedAt = Date.now();
      }
    }
    return await finish(run.id, { ok: true, log, total });
  } catch (err) {
    return finish(run.id, { ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * Runs a queued run (from "Sync now"). Returns null when there is nothing to do: the run finished
 * already or does not exist (a retried job).
 */
export async function runCatalogSync(runId: string): Promise<SyncRun | null> {
  return withSyncLock(async () => {
    await failAbandonedRuns(runId);
    // Under the lock a "running" run of our own is a previous attempt of this job that died.
    const [run] = await db
      .update(catalogSyncRuns)
      .set({ state: "running", startedAt: new Date(), error: null, total: 0, processed: 0, added: 0, updated: 0, removed: 0, changes: [] })
      .where(and(eq(catalogSyncRuns.id, runId), inArray(catalogSyncRuns.state, ["queued", "running"])))
      .returning();
    if (!run) return null;
    return execute(run);
  });
}

/** The cron's run: its row is created under the lock, so no other sync can see it half-made. */
export async function runScheduledCatalogSync(): Promise<SyncRun> {
  return withSyncLock(async () => {
    const [run] = await db.insert(catalogSyncRuns).values({ trigger: "schedule", state: "running", startedAt: new Date() }).returning();
    await failAbandonedRuns(run!.id);
    return execute(run!);
  });
}
