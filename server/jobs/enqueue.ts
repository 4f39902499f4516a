import { sql } from "drizzle-orm";
import type { Executor } from "@/db";

export interface JobPayloads {
  grants__activate: { grantId: string };
  grants__expire: { grantId: string };
  grants__reconcile: Record<string, never>;
  grants__warn: { grantId: string };
  grants__rollback_set: { requestId: string; failedGrantId: string; reason: string };
}
export type TaskName = keyof JobPayloads;

export interface EnqueueOptions {
  runAt?: Date;
  jobKey?: string;
  maxAttempts?: number;
}

/**
 * Adds a graphile-worker job through the caller's transaction, so the job exists exactly when
 * the state it follows was committed. A job key replaces the pending job with that key (an
 * extension or early end moves the expiry job instead of adding a second one).
 */
export async function enqueue<T extends TaskName>(tx: Executor, task: T, payload: JobPayloads[T], opts: EnqueueOptions = {}) {
  await tx.execute(sql`select graphile_worker.add_job(
    identifier => ${task}::text,
    payload => ${JSON.stringify(payload)}::json,
    run_at => ${opts.runAt?.toISOString() ?? null}::timestamptz,
    max_attempts => ${opts.maxAttempts ?? 25}::int,
    job_key => ${opts.jobKey ?? null}::text,
    job_key_mode => 'replace'
  )`);
}

/** Wakes the worker's expiry timer: a grant's expiry moved or a grant became active. */
export async function notifyScheduleChanged(tx: Executor) {
  await tx.execute(sql`select pg_notify('interim_grant_schedule', '')`);
}

export const jobKeys = {
  activate: (grantId: string) => `grant:activate:${grantId}`,
  expire: (grantId: string) => `grant:expire:${grantId}`,
  warn: (grantId: string) => `grant:warn:${grantId}`,
};
