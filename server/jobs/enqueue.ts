import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { addJob, addJobs, type JobSpec } from "./queue";
import { jobs, type JobPayloads, type TaskName } from "./registry";

export { jobKeys, type JobPayloads, type TaskName } from "./registry";

export interface EnqueueOptions {
  runAt?: Date;
  jobKey?: string;
  /** The task's own (server/jobs/registry.ts) when absent. */
  maxAttempts?: number;
}

/**
 * Adds a graphile-worker job through the caller's transaction, so the job exists exactly when
 * the state it follows was committed. A job key replaces the pending job with that key (an
 * extension or early end moves the expiry job instead of adding a second one). The payload is
 * checked against the task's schema here too: a bad one throws in the caller's transaction
 * rather than becoming a job that can only fail.
 */
export async function enqueue<T extends TaskName>(tx: Executor, task: T, payload: JobPayloads[T], opts: EnqueueOptions = {}) {
  await addJob(tx, jobSpecOf(task, payload, opts));
}

/** enqueue for many jobs in one statement (add_jobs: the same key semantics). */
export async function enqueueMany(tx: Executor, specs: JobSpec[]) {
  if (specs.length) await addJobs(tx, specs);
}

/** A job as enqueue adds it: the payload checked against the task's schema, the task's own attempts. */
export function jobSpecOf<T extends TaskName>(task: T, payload: JobPayloads[T], opts: EnqueueOptions = {}): JobSpec {
  const spec = jobs[task];
  return { task, payload: spec.payload.parse(payload), runAt: opts.runAt, jobKey: opts.jobKey, maxAttempts: opts.maxAttempts ?? spec.maxAttempts };
}

/** Wakes the worker's expiry timer: a grant's expiry moved or a grant became active. */
export async function notifyScheduleChanged(tx: Executor) {
  await tx.execute(sql`select pg_notify('interim_grant_schedule', '')`);
}
