import "server-only";
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Executor } from "@/db";
import type { KeyBuilder } from "./registry";

/*
 * Everything Interim does with graphile-worker's own schema (`graphile_worker.*`): its functions
 * (add_job, add_jobs, remove_job, complete_jobs) and its tables, read or written. Nowhere else
 * names that schema, so a graphile-worker upgrade that changes it breaks this file — and its
 * tests (tests/integration/jobs-queue.test.ts) — rather than a statement hidden in a service.
 * Written against graphile-worker 0.17.
 */

export interface JobSpec {
  task: string;
  payload: unknown;
  /** Now when absent. */
  runAt?: Date | string;
  jobKey?: string;
  maxAttempts: number;
}

/**
 * Adds a job through the caller's transaction, so it exists exactly when the state it follows
 * was committed. A job key replaces the waiting job with that key (a locked one is left to finish
 * and a new job is added).
 */
export async function addJob(tx: Executor, job: JobSpec) {
  const runAt = job.runAt instanceof Date ? job.runAt.toISOString() : (job.runAt ?? null);
  await tx.execute(sql`select graphile_worker.add_job(
    identifier => ${job.task}::text,
    payload => ${JSON.stringify(job.payload)}::json,
    run_at => ${runAt}::timestamptz,
    max_attempts => ${job.maxAttempts}::int,
    job_key => ${job.jobKey ?? null}::text,
    job_key_mode => 'replace'
  )`);
}

/**
 * Adds many jobs in one statement (add_jobs), with add_job's key semantics; returns how many.
 * add_job once per row costs ~2 ms a row at 10,000 (graphile-worker 0.17).
 */
export async function addJobs(tx: Executor, specs: JobSpec[]): Promise<number> {
  const rows = specs.map((s) => ({ ...s, runAt: s.runAt instanceof Date ? s.runAt.toISOString() : (s.runAt ?? null) }));
  const [r] = await tx.execute<{ n: number }>(sql`
    select count(*)::int as n from graphile_worker.add_jobs(array(
      select row(s->>'task', s->'payload', null, (s->>'runAt')::timestamptz, (s->>'maxAttempts')::int, s->>'jobKey', null, null)::graphile_worker.job_spec
      from json_array_elements(${JSON.stringify(rows)}::json) s))`);
  return r?.n ?? 0;
}

/** Deletes the waiting job with this key; one a worker holds is kept from retrying and loses its key. */
export async function removeJob(tx: Executor, jobKey: string) {
  await tx.execute(sql`select graphile_worker.remove_job(${jobKey})`);
}

/**
 * Deletes the jobs with these keys that no worker holds (a running one finishes and finds nothing
 * to do). One statement for a batch: remove_job once per key took 20–70 ms per 500 keys.
 */
export async function completeJobsByKey(tx: Executor, jobKeys: string[]) {
  if (!jobKeys.length) return;
  // Keys are ids behind a prefix: no commas.
  await tx.execute(
    sql`select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs where key = any(string_to_array(${jobKeys.join(",")}, ','))))`,
  );
}

/** SQL: the job key `key` builds for the id in `id` (a column or expression), for the fragments below. */
export function jobKeyFor(key: KeyBuilder, id: SQLWrapper): SQL {
  return sql`${key.prefix} || ${id}::text`;
}

/**
 * SQL (a condition): a job with this key exists — waiting, retrying or running. With `unclaimed`,
 * only one no worker holds. With `liveLeaseSeconds`, only one waiting or held for less than that:
 * a job held longer is taken as held by a worker that died (graphile-worker frees such locks only
 * after four hours).
 */
export function jobExists(keySql: SQLWrapper, opts: { unclaimed?: boolean; liveLeaseSeconds?: number; dueNow?: boolean } = {}): SQL {
  // `dueNow`: waiting, nobody holds it, and its time has come (not in a retry's backoff).
  if (opts.dueNow) return sql`exists (select 1 from graphile_worker.jobs j where j.key = ${keySql} and j.locked_at is null and j.run_at <= now())`;
  const held = opts.unclaimed
    ? sql` and j.locked_at is null`
    : opts.liveLeaseSeconds !== undefined
      ? sql` and (j.locked_at is null or j.locked_at > now() - make_interval(secs => ${opts.liveLeaseSeconds}))`
      : sql``;
  return sql`exists (select 1 from graphile_worker.jobs j where j.key = ${keySql}${held})`;
}

/** Whether the job with this key is due: waiting with its time come, or running. */
export async function jobIsDue(tx: Executor, jobKey: string): Promise<boolean> {
  const [row] = await tx.execute<{ due: boolean }>(sql`select exists (select 1 from graphile_worker.jobs where key = ${jobKey} and run_at <= now()) as due`);
  return Boolean(row?.due);
}

/** SQL (a value): the last error of the job with this key, null when none or no such job. */
export function jobLastError(keySql: SQLWrapper): SQL<string | null> {
  return sql<string | null>`(select j.last_error from graphile_worker.jobs j where j.key = ${keySql})`;
}

/**
 * Makes the attempt running now the job's last: when the task then throws, graphile-worker records
 * the error and never retries. For failures a retry cannot mend (a payload that does not parse).
 */
export async function makeLastAttempt(tx: Executor, jobId: string) {
  await tx.execute(sql`update graphile_worker._private_jobs set max_attempts = greatest(attempts, 1) where id = ${jobId}::bigint`);
}

/** The jobs that failed (bench reports): how many gave up, how many have an error, the common errors and the tasks they hit. */
export async function jobFailures(tx: Executor) {
  const [counts] = await tx.execute<{ failed: number; errs: number }>(sql`
    select count(*) filter (where attempts >= max_attempts)::int as failed, count(*) filter (where last_error is not null)::int as errs
    from graphile_worker.jobs`);
  const common = await tx.execute<{ e: string; n: number }>(sql`
    select left(regexp_replace(last_error, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'), 200) as e, count(*)::int as n
    from graphile_worker.jobs where last_error is not null group by 1 order by 2 desc limit 3`);
  const byTask = await tx.execute<{ task: string; n: number; failed: number; pending: number }>(sql`
    select task_identifier as task, count(*)::int as n, count(*) filter (where attempts >= max_attempts)::int as failed,
           count(*) filter (where attempts < max_attempts)::int as pending
    from graphile_worker.jobs where last_error is not null group by 1 order by 1`);
  return { failed: counts?.failed ?? 0, errs: counts?.errs ?? 0, common: [...common], byTask: [...byTask] };
}
