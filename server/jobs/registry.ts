import "server-only";
import { z } from "zod";
import { env } from "@/server/env";

/*
 * Every graphile-worker task Interim has, in one place: its name, the payload it accepts, its job
 * key (where jobs of it are keyed), how often it is tried, and its cron schedule (where it has
 * one). `enqueue` is typed from it, the worker's task list and crontab are built from it, and each
 * task parses its payload with the schema below — so a name, a payload or a key cannot drift
 * between the code that adds a job and the code that runs it.
 */

/**
 * A job key per thing: `prefix + id`. The prefix is kept so SQL can build the same key from a
 * column (server/jobs/queue.ts, jobKeyFor) instead of repeating the literal.
 */
export interface KeyBuilder {
  (id: string): string;
  readonly prefix: string;
}
const keyed = (prefix: string): KeyBuilder => Object.assign((id: string) => `${prefix}${id}`, { prefix });

export interface CronSpec {
  /** crontab time fields; a function when an env variable chooses them (read when the worker starts). */
  schedule: string | (() => string);
  /** One key per schedule, so a run that is still waiting is replaced, never doubled. */
  jobKey: string;
  jobKeyMode: "replace" | "preserve_run_at";
  /** The next tick retries: a cron job is tried once. */
  maxAttempts: number;
}

interface TaskSpec {
  payload: z.ZodType<Record<string, unknown>>;
  /** max_attempts of a job added without one (enqueue's default). */
  maxAttempts: number;
  key?: KeyBuilder;
  cron?: CronSpec;
}

const grantJob = z.object({ grantId: z.uuid() });
// Cron jobs carry `_cron` (graphile's), which the schemas drop: objects are not strict.
const noPayload = z.object({});
const everyMinute = (jobKey: string, jobKeyMode: CronSpec["jobKeyMode"] = "replace"): CronSpec => ({
  schedule: "* * * * *",
  jobKey,
  jobKeyMode,
  maxAttempts: 1,
});

export const jobs = {
  /** Puts a grant's account into its AD group (worker/tasks/grants__activate.ts). */
  grants__activate: { payload: grantJob, maxAttempts: 25, key: keyed("grant:activate:") },
  /** The per-grant safety net behind the expiry timer. */
  grants__expire: { payload: grantJob, maxAttempts: 25, key: keyed("grant:expire:") },
  /** "Your access ends soon." */
  grants__warn: { payload: grantJob, maxAttempts: 5, key: keyed("grant:warn:") },
  /** The second pass of a privilege set's rollback. */
  grants__rollback_set: {
    payload: z.object({ requestId: z.uuid(), failedGrantId: z.uuid(), reason: z.string() }),
    maxAttempts: 25,
    key: keyed("privilege-set:rollback:"),
  },
  /**
   * Directory against grants. Its one key is shared by the cron, the worker's start and "Check
   * now" (server/drift), so a click joins a waiting run. No named queue: graphile-worker keeps a
   * killed worker's queue locked for four hours; an advisory lock keeps runs apart instead
   * (server/jobs/locks.ts).
   */
  grants__reconcile: { payload: noPayload, maxAttempts: 1, cron: everyMinute("grants-reconcile") },
  requests__expire: { payload: noPayload, maxAttempts: 1, cron: everyMinute("requests-expire") },
  grants__protected_cleanup: { payload: noPayload, maxAttempts: 1, cron: everyMinute("grants-protected-cleanup") },
  grants__temporary_group_cleanup: {
    payload: noPayload,
    maxAttempts: 1,
    cron: { schedule: "*/2 * * * *", jobKey: "grants-temporary-group-cleanup", jobKeyMode: "replace", maxAttempts: 1 },
  },
  /** The worker's poller sends notifications within a second; the cron is a second way in. */
  notifications__dispatch: { payload: noPayload, maxAttempts: 1, cron: everyMinute("notifications-dispatch", "preserve_run_at") },
  /**
   * A disabled, expired or deleted AD account loses its pending requests and live grants
   * (server/auth/offboarding.ts): every minute for every account with something to lose, and at
   * once (`userId`) when a call finds its account refused.
   */
  accounts__offboard: { payload: z.object({ userId: z.uuid().optional() }), maxAttempts: 3, cron: everyMinute("accounts-offboard") },
  /**
   * "Sync now" jobs carry their run and are keyed by it; cron jobs carry none and share the
   * schedule's key.
   */
  catalog__sync: {
    payload: z.object({ runId: z.uuid().optional() }),
    maxAttempts: 3,
    key: keyed("catalog-sync:"),
    cron: { schedule: () => env.CATALOG_SYNC_CRON, jobKey: "catalog-sync-schedule", jobKeyMode: "replace", maxAttempts: 1 },
  },
  /**
   * A session's preparation (server/sessions/prepare.ts): once its grants are in the directory, a
   * managed account gets a fresh password and the session becomes ready. Re-queued every second
   * while the grants are still on their way in.
   */
  sessions__prepare: { payload: z.object({ sessionId: z.uuid() }), maxAttempts: 10, key: keyed("session:prepare:") },
  /** A session's end: its grants end through the revoke path and a managed password is changed again. */
  sessions__finish: { payload: z.object({ sessionId: z.uuid() }), maxAttempts: 25, key: keyed("session:finish:") },
  /** Sessions whose gateway went silent are interrupted; finished ones left without their follow-up get it. */
  sessions__sweep: { payload: noPayload, maxAttempts: 1, cron: everyMinute("sessions-sweep") },
  /** Old rows that only grow (failed jobs, sent deliveries, sign-in attempts) pruned by their retention (server/housekeeping/prune.ts). */
  housekeeping__prune: {
    payload: noPayload,
    maxAttempts: 1,
    cron: { schedule: "17 3 * * *", jobKey: "housekeeping-prune", jobKeyMode: "replace", maxAttempts: 1 },
  },
} satisfies Record<string, TaskSpec>;

export type TaskName = keyof typeof jobs;
export type JobPayloads = { [T in TaskName]: z.input<(typeof jobs)[T]["payload"]> };
export type JobPayload<T extends TaskName> = z.output<(typeof jobs)[T]["payload"]>;

export const taskNames = Object.keys(jobs) as TaskName[];

/** The tasks that run on a schedule, with the schedule resolved (reads env: call it in the worker). */
export function cronJobs(): { task: TaskName; schedule: string; jobKey: string; jobKeyMode: CronSpec["jobKeyMode"]; maxAttempts: number }[] {
  return taskNames.flatMap((task) => {
    const cron = (jobs[task] as TaskSpec).cron;
    if (!cron) return [];
    const schedule = typeof cron.schedule === "function" ? cron.schedule() : cron.schedule;
    return [{ task, schedule, jobKey: cron.jobKey, jobKeyMode: cron.jobKeyMode, maxAttempts: cron.maxAttempts }];
  });
}

export const jobKeys = {
  activate: jobs.grants__activate.key,
  expire: jobs.grants__expire.key,
  warn: jobs.grants__warn.key,
  rollbackSet: jobs.grants__rollback_set.key,
  catalogSync: jobs.catalog__sync.key,
  /** The reconcile's one key (its cron's). */
  reconcile: () => jobs.grants__reconcile.cron.jobKey,
  /** The scheduled catalog sync's key (its cron's). */
  catalogSchedule: () => jobs.catalog__sync.cron.jobKey,
};
