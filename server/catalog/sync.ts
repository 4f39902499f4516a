import "server-only";
import { and, eq, inArray, ne, or, sql } from "drizzle-orm";
import { db, type Executor } from "@/db";
import { catalogCredentials, catalogDevices, catalogSyncRuns } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { listCatalogAccounts, listCatalogComputers } from "@/server/directory/catalog";
import { env } from "@/server/env";
import { enqueue } from "@/server/jobs/enqueue";
import { LockTimeoutError, withSessionLock } from "@/server/jobs/locks";
import { jobExists, jobKeyFor } from "@/server/jobs/queue";
import { jobKeys, jobs, type TaskName } from "@/server/jobs/registry";
import { ChangeLog, planCredentialSync, planDeviceSync, type SyncStep } from "./sync-plan";

/*
 * The catalog sync: AD → catalog_devices / catalog_credentials, keyed by objectGUID. The plan
 * (what to insert, update, remove) is pure and lives in ./sync-plan.ts; this file runs it.
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
 * - A credential's owner (AD's managedBy, else manager, resolved to a person) follows AD until an
 *   admin sets one in the catalog; an admin clearing theirs hands it back to AD at the next sync.
 *
 * Runs never overlap: each holds a session advisory lock on a connection of its own for its
 * whole length. Postgres drops that lock the moment the worker dies, so the next sync starts at
 * once and marks the dead run failed. (A graphile-worker named queue would also serialize runs,
 * but a SIGKILLed worker keeps its queue locked for 4 hours, stopping every sync until then.)
 */

export const CATALOG_SYNC_TASK = "catalog__sync" satisfies TaskName;
const BATCH_SIZE = 250;
const PROGRESS_EVERY_MS = 250;
const SYNC_LOCK = 0x1a7e_ca7a;
const LOCK_WAIT_MS = 10 * 60_000;
const LOCK_POLL_MS = 250;

type SyncRun = typeof catalogSyncRuns.$inferSelect;

export const syncJobKey = jobKeys.catalogSync;

/** SQL: the run still has its job (waiting, retrying or running). */
export function runHasJob() {
  return jobExists(jobKeyFor(jobKeys.catalogSync, catalogSyncRuns.id));
}

/**
 * SQL: the run's job waits and no worker holds it. A job taken by a worker that was then killed
 * stays locked for hours (graphile-worker frees such locks after 4 h), so "Sync now" must not join it.
 */
export function runHasUnclaimedJob() {
  return jobExists(jobKeyFor(jobKeys.catalogSync, catalogSyncRuns.id), { unclaimed: true });
}

/** Queues the job for a run, in the caller's transaction (the run and its job commit together). */
export async function enqueueCatalogSync(tx: Executor, runId: string) {
  await enqueue(tx, CATALOG_SYNC_TASK, { runId }, { jobKey: syncJobKey(runId), maxAttempts: jobs.catalog__sync.maxAttempts });
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
      .where(and(ne(catalogSyncRuns.id, exceptId), or(eq(catalogSyncRuns.state, "running"), and(eq(catalogSyncRuns.state, "queued"), sql`not ${runHasJob()}`))))
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
        dnsHostName: catalogDevices.dnsHostName,
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
        ownerDn: catalogCredentials.ownerDn,
        ownerGuid: catalogCredentials.ownerGuid,
        ownerName: catalogCredentials.ownerName,
        ownerSource: catalogCredentials.ownerSource,
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
