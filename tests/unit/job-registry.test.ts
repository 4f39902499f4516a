import { readdirSync } from "node:fs";
import path from "node:path";
import { parseCrontab } from "graphile-worker";
import { describe, expect, it, vi } from "vitest";
import { cronJobs, jobKeys, jobs, taskNames } from "@/server/jobs/registry";

vi.mock("@/server/env", () => ({ env: { CATALOG_SYNC_CRON: "*/15 * * * *" } }));

const ID = "3f2b6c1e-8a4d-4c2b-9e7f-0a1b2c3d4e5f";

describe("the job registry", () => {
  it("names exactly the tasks in worker/tasks", () => {
    const files = readdirSync(path.resolve(import.meta.dirname, "../../worker/tasks"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ""));
    expect([...taskNames].sort()).toEqual(files.sort());
  });

  it("builds the job keys that jobs already in the database carry", () => {
    // Keys are an API with graphile-worker: a job queued before an upgrade must still be found.
    expect(jobKeys.activate(ID)).toBe(`grant:activate:${ID}`);
    expect(jobKeys.expire(ID)).toBe(`grant:expire:${ID}`);
    expect(jobKeys.warn(ID)).toBe(`grant:warn:${ID}`);
    expect(jobKeys.rollbackSet(ID)).toBe(`privilege-set:rollback:${ID}`);
    expect(jobKeys.catalogSync(ID)).toBe(`catalog-sync:${ID}`);
    expect(jobKeys.reconcile()).toBe("grants-reconcile");
    expect(jobKeys.catalogSchedule()).toBe("catalog-sync-schedule");
    expect(jobKeys.activate.prefix).toBe("grant:activate:");
  });

  it("tries each task as often as its callers did", () => {
    expect(Object.fromEntries(taskNames.map((t) => [t, jobs[t].maxAttempts]))).toEqual({
      grants__activate: 25,
      grants__expire: 25,
      grants__warn: 5,
      grants__rollback_set: 25,
      grants__reconcile: 1,
      requests__expire: 1,
      grants__protected_cleanup: 1,
      grants__temporary_group_cleanup: 1,
      notifications__dispatch: 1,
      catalog__sync: 3,
      accounts__offboard: 3,
      sessions__prepare: 10,
      sessions__finish: 25,
      sessions__sweep: 1,
      housekeeping__prune: 1,
    });
  });

  it("schedules what the worker's crontab scheduled, parsed the same way", () => {
    const before = parseCrontab(
      [
        `* * * * * grants__reconcile ?max=1&jobKey=grants-reconcile&jobKeyMode=replace`,
        `* * * * * requests__expire ?max=1&jobKey=requests-expire&jobKeyMode=replace`,
        `* * * * * grants__protected_cleanup ?max=1&jobKey=grants-protected-cleanup&jobKeyMode=replace`,
        `*/2 * * * * grants__temporary_group_cleanup ?max=1&jobKey=grants-temporary-group-cleanup&jobKeyMode=replace`,
        `* * * * * notifications__dispatch ?max=1&jobKey=notifications-dispatch&jobKeyMode=preserve_run_at`,
        `*/15 * * * * catalog__sync ?max=1&jobKey=catalog-sync-schedule&jobKeyMode=replace`,
        `* * * * * accounts__offboard ?max=1&jobKey=accounts-offboard&jobKeyMode=replace`,
        `* * * * * sessions__sweep ?max=1&jobKey=sessions-sweep&jobKeyMode=replace`,
        `17 3 * * * housekeeping__prune ?max=1&jobKey=housekeeping-prune&jobKeyMode=replace`,
      ].join("\n"),
    );
    const now = cronJobs();
    expect(now.map((c) => c.task).sort()).toEqual(before.map((c) => c.task).sort());
    for (const c of now) {
      const old = before.find((b) => b.task === c.task)!;
      expect(old.identifier).toBe(c.task);
      expect({ maxAttempts: c.maxAttempts, jobKey: c.jobKey, jobKeyMode: c.jobKeyMode }).toEqual({
        maxAttempts: old.options.maxAttempts,
        jobKey: old.options.jobKey,
        jobKeyMode: old.options.jobKeyMode,
      });
    }
    expect(Object.fromEntries(now.map((c) => [c.task, c.schedule]))).toMatchObject({
      grants__temporary_group_cleanup: "*/2 * * * *",
      catalog__sync: "*/15 * * * *",
      grants__reconcile: "* * * * *",
    });
  });

  it("parses payloads: ids must be UUIDs, cron's _cron is dropped, a sync run is optional", () => {
    expect(jobs.grants__activate.payload.safeParse({ grantId: ID }).success).toBe(true);
    expect(jobs.grants__activate.payload.safeParse({ grantId: "42" }).success).toBe(false);
    expect(jobs.grants__warn.payload.safeParse({}).success).toBe(false);
    expect(jobs.grants__rollback_set.payload.safeParse({ requestId: ID, failedGrantId: ID }).success).toBe(false);
    expect(jobs.grants__rollback_set.payload.parse({ requestId: ID, failedGrantId: ID, reason: "r" })).toEqual({
      requestId: ID,
      failedGrantId: ID,
      reason: "r",
    });
    expect(jobs.grants__reconcile.payload.parse({ _cron: { ts: "2026-01-01T00:00:00Z", backfilled: false } })).toEqual({});
    expect(jobs.catalog__sync.payload.parse({ _cron: { ts: "2026-01-01T00:00:00Z" } })).toEqual({});
    expect(jobs.catalog__sync.payload.parse({ runId: ID })).toEqual({ runId: ID });
    expect(jobs.catalog__sync.payload.safeParse({ runId: "now" }).success).toBe(false);
  });
});
