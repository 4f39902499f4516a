import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { Logger, runOnce } from "graphile-worker";
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { env } from "@/server/env";
import { enqueue } from "@/server/jobs/enqueue";
import { addJob, addJobs, completeJobsByKey, jobExists, jobFailures, jobIsDue, jobKeyFor, jobLastError, removeJob } from "@/server/jobs/queue";
import { jobKeys } from "@/server/jobs/registry";
import { grants__warn } from "@/worker/tasks/grants__warn";
import { resetDatabase } from "./fixtures";

/*
 * server/jobs/queue.ts against graphile-worker's real schema: what each function does to the
 * jobs it touches. A graphile-worker upgrade that changes that schema fails here first. (These
 * tests read graphile_worker.jobs directly to observe; only the tests and queue.ts do.)
 */

type JobRow = {
  task_identifier: string;
  payload: unknown;
  key: string | null;
  max_attempts: number;
  attempts: number;
  run_at: Date | string;
  last_error: string | null;
};

// The public `jobs` view leaves the payload out; the private tables have it.
const jobRows = (where: ReturnType<typeof sql>) =>
  db.execute<JobRow>(sql`
    select t.identifier as task_identifier, j.payload, j.key, j.max_attempts, j.attempts, j.run_at, j.last_error
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where ${where} order by j.id`);
const jobsWithKey = async (key: string) => [...(await jobRows(sql`j.key = ${key}`))];
const jobsOfTask = async (task: string) => [...(await jobRows(sql`t.identifier = ${task}`))];
/** What a worker does when it takes a job; `ago` seconds back. */
async function lock(key: string, agoSeconds = 0) {
  await db.execute(
    sql`update graphile_worker._private_jobs set locked_at = now() - make_interval(secs => ${agoSeconds}), locked_by = 'test-worker', attempts = 1 where key = ${key}`,
  );
}
const condition = async (cond: ReturnType<typeof jobExists>) => Boolean((await db.execute<{ ok: boolean }>(sql`select ${cond} as ok`))[0]?.ok);
const quiet = new Logger(() => () => {});

beforeEach(resetDatabase);

describe("adding jobs", () => {
  it("enqueue adds one job per key with the registry's attempts; a second call replaces it", async () => {
    const grantId = randomUUID();
    const first = new Date(Date.now() + 60_000);
    await enqueue(db, "grants__warn", { grantId }, { runAt: first, jobKey: jobKeys.warn(grantId) });
    const [job] = await jobsWithKey(jobKeys.warn(grantId));
    expect(job).toMatchObject({ task_identifier: "grants__warn", payload: { grantId }, max_attempts: 5, attempts: 0 });
    expect(new Date(job!.run_at).getTime()).toBe(first.getTime());

    const later = new Date(Date.now() + 120_000);
    await enqueue(db, "grants__warn", { grantId }, { runAt: later, jobKey: jobKeys.warn(grantId), maxAttempts: 2 });
    const jobs = await jobsWithKey(jobKeys.warn(grantId));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ max_attempts: 2 });
    expect(new Date(jobs[0]!.run_at).getTime()).toBe(later.getTime());
  });

  it("enqueue refuses a payload its task would refuse, and adds nothing", async () => {
    await expect(enqueue(db, "grants__activate", { grantId: "not-a-uuid" })).rejects.toThrow(/uuid/i);
    expect(await jobsOfTask("grants__activate")).toEqual([]);
  });

  it("a job added in a transaction that rolls back does not exist", async () => {
    const grantId = randomUUID();
    await db
      .transaction(async (tx) => {
        await addJob(tx, { task: "grants__expire", payload: { grantId }, jobKey: jobKeys.expire(grantId), maxAttempts: 25 });
        throw new Error("rollback");
      })
      .catch(() => {});
    expect(await jobsWithKey(jobKeys.expire(grantId))).toEqual([]);
  });

  it("addJobs adds many in one statement, replacing by key like add_job", async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await enqueue(db, "grants__expire", { grantId: ids[0]! }, { jobKey: jobKeys.expire(ids[0]!), runAt: new Date(Date.now() + 3_600_000) });
    const runAt = new Date(Date.now() + 5_000);
    const n = await addJobs(
      db,
      ids.map((grantId) => ({ task: "grants__expire", payload: { grantId }, runAt, jobKey: jobKeys.expire(grantId), maxAttempts: 25 })),
    );
    expect(n).toBe(3);
    const jobs = await jobsOfTask("grants__expire");
    expect(jobs.map((j) => j.key).sort()).toEqual(ids.map(jobKeys.expire).sort());
    for (const j of jobs) expect(new Date(j.run_at).getTime()).toBe(runAt.getTime());
    expect(jobs.map((j) => j.payload)).toEqual(expect.arrayContaining(ids.map((grantId) => ({ grantId }))));
  });
});

describe("removing jobs", () => {
  it("removeJob deletes a waiting job; one a worker holds stays to finish, without its key and retries", async () => {
    const [waiting, held] = [randomUUID(), randomUUID()];
    for (const grantId of [waiting, held]) await enqueue(db, "grants__activate", { grantId }, { jobKey: jobKeys.activate(grantId) });
    await lock(jobKeys.activate(held));
    await removeJob(db, jobKeys.activate(waiting));
    await removeJob(db, jobKeys.activate(held));
    const jobs = await jobsOfTask("grants__activate");
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ key: null, payload: { grantId: held } });
    expect(jobs[0]!.attempts).toBe(jobs[0]!.max_attempts);
    await removeJob(db, jobKeys.activate(randomUUID())); // no such job: nothing happens
  });

  it("completeJobsByKey deletes the given keys' waiting jobs only", async () => {
    const [a, b, held, other] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const grantId of [a, b, held, other]) await enqueue(db, "grants__expire", { grantId }, { jobKey: jobKeys.expire(grantId) });
    await enqueue(db, "grants__warn", { grantId: a }, { jobKey: jobKeys.warn(a), maxAttempts: 5 });
    await lock(jobKeys.expire(held));
    await completeJobsByKey(
      db,
      [a, b, held].flatMap((id) => [jobKeys.expire(id), jobKeys.warn(id)]),
    );
    await completeJobsByKey(db, []);
    const left = [...(await jobsOfTask("grants__expire")), ...(await jobsOfTask("grants__warn"))].map((j) => j.key).sort();
    expect(left).toEqual([jobKeys.expire(held), jobKeys.expire(other)].sort());
  });
});

describe("asking about jobs", () => {
  it("jobExists: any job, an unclaimed one, or one a live worker holds", async () => {
    const grantId = randomUUID();
    const key = jobKeyFor(jobKeys.activate, sql`${grantId}::uuid`);
    expect(await condition(jobExists(key))).toBe(false);

    await enqueue(db, "grants__activate", { grantId }, { jobKey: jobKeys.activate(grantId) });
    expect(await condition(jobExists(key))).toBe(true);
    expect(await condition(jobExists(key, { unclaimed: true }))).toBe(true);
    expect(await condition(jobExists(key, { liveLeaseSeconds: 30 }))).toBe(true);

    await lock(jobKeys.activate(grantId), 5);
    expect(await condition(jobExists(key))).toBe(true);
    expect(await condition(jobExists(key, { unclaimed: true }))).toBe(false);
    expect(await condition(jobExists(key, { liveLeaseSeconds: 30 }))).toBe(true);
    // Held for longer than the lease: taken as held by a dead worker.
    expect(await condition(jobExists(key, { liveLeaseSeconds: 2 }))).toBe(false);
  });

  it("jobIsDue: waiting with its time come", async () => {
    await enqueue(db, "grants__reconcile", {}, { jobKey: jobKeys.reconcile(), maxAttempts: 1, runAt: new Date(Date.now() + 60_000) });
    expect(await jobIsDue(db, jobKeys.reconcile())).toBe(false);
    await enqueue(db, "grants__reconcile", {}, { jobKey: jobKeys.reconcile(), maxAttempts: 1 });
    expect(await jobIsDue(db, jobKeys.reconcile())).toBe(true);
    expect(await jobIsDue(db, "no-such-key")).toBe(false);
  });
});

describe("a job whose payload does not parse", () => {
  it("fails once, for good, with the task, the job and the problem in its error", async () => {
    // Added around enqueue (which would refuse it), as an older release or a hand-made job could.
    await addJob(db, { task: "grants__warn", payload: { grantId: "not-a-uuid" }, jobKey: "bad-warning", maxAttempts: 5 });
    await runOnce({ connectionString: env.DATABASE_URL, taskList: { grants__warn }, logger: quiet });
    const [job] = await jobsWithKey("bad-warning");
    expect(job).toMatchObject({ attempts: 1, max_attempts: 1 });
    expect(job!.last_error).toMatch(/^grants__warn: bad payload \(grantId: Invalid UUID\); job \d+ is not retried/);

    // Not taken again.
    await db.execute(sql`update graphile_worker._private_jobs set run_at = now() where key = 'bad-warning'`);
    await runOnce({ connectionString: env.DATABASE_URL, taskList: { grants__warn }, logger: quiet });
    expect((await jobsWithKey("bad-warning"))[0]).toMatchObject({ attempts: 1 });

    const failures = await jobFailures(db);
    expect(failures).toMatchObject({ failed: 1, errs: 1, byTask: [{ task: "grants__warn", n: 1, failed: 1, pending: 0 }] });
    expect(failures.common[0]?.e).toMatch(/bad payload/);
    const [last] = await db.execute<{ e: string | null }>(sql`select ${jobLastError(sql`'bad-warning'`)} as e`);
    expect(last?.e).toMatch(/bad payload/);
  });
});
