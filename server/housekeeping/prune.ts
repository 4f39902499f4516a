import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";

/*
 * Housekeeping (issue 15): rows that only grow and that nothing reads once they are old. Each kind
 * is kept for its INTERIM_RETENTION_*_DAYS, then deleted in chunks (no long lock on a busy
 * table). Never the audit trail (append-only, and the app role could not delete from it anyway),
 * never a grant or a request (their history is the product), never a delivery still to be sent.
 */

/** Rows per delete statement. */
const CHUNK = 5_000;

export interface PruneResult {
  /** graphile-worker jobs that used up their attempts (not locked by a worker), last touched before the cutoff. */
  failedJobs: number;
  /** Notification deliveries sent or failed for good before the cutoff. */
  deliveries: number;
  /** Sign-in attempts (the throttle's rows) older than the cutoff: far beyond any throttle window. */
  signinAttempts: number;
}

const cutoff = (days: number, now: Date) => new Date(now.getTime() - days * 86_400_000).toISOString();

/** Deletes in chunks with `statement(limit)` until a chunk comes back short; returns how many went. */
async function inChunks(statement: (limit: number) => ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.execute(statement(CHUNK));
    const n = result.count ?? 0;
    total += n;
    if (n < CHUNK) return total;
  }
}

export async function pruneOldRows(now = new Date()): Promise<PruneResult> {
  const jobsBefore = cutoff(env.INTERIM_RETENTION_FAILED_JOBS_DAYS, now);
  const deliveriesBefore = cutoff(env.INTERIM_RETENTION_DELIVERIES_DAYS, now);
  const attemptsBefore = cutoff(env.INTERIM_RETENTION_SIGNIN_THROTTLE_DAYS, now);

  // graphile-worker's own DELETE_PERMAFAILED_JOBS (WorkerUtils.cleanup) with an age: permanently failed, not locked.
  const failedJobs = await inChunks(
    (limit) => sql`delete from graphile_worker._private_jobs where id in (
      select id from graphile_worker._private_jobs
      where attempts >= max_attempts and locked_at is null and updated_at < ${jobsBefore}
      limit ${limit})`,
  );
  const deliveries = await inChunks(
    (limit) => sql`delete from notification_deliveries where id in (
      select id from notification_deliveries
      where (state = 'sent' and coalesce(sent_at, created_at) < ${deliveriesBefore}) or (state = 'failed' and created_at < ${deliveriesBefore})
      limit ${limit})`,
  );
  const signinAttempts = await inChunks(
    (limit) => sql`delete from signin_attempts where id in (select id from signin_attempts where at < ${attemptsBefore} limit ${limit})`,
  );

  const result = { failedJobs, deliveries, signinAttempts };
  scoped("housekeeping").info(
    {
      pruned: result,
      retentionDays: {
        failedJobs: env.INTERIM_RETENTION_FAILED_JOBS_DAYS,
        deliveries: env.INTERIM_RETENTION_DELIVERIES_DAYS,
        signinAttempts: env.INTERIM_RETENTION_SIGNIN_THROTTLE_DAYS,
      },
    },
    "old rows pruned",
  );
  return result;
}
