import type { JobHelpers, Task } from "graphile-worker";
import type { Logger } from "pino";
import { db } from "@/db";
import { scoped } from "@/server/logger";
import { makeLastAttempt } from "@/server/jobs/queue";
import { jobs, type JobPayload, type TaskName } from "@/server/jobs/registry";

/** A graphile-worker task that runs the registry's task `T` (see taskList in worker/task-list.ts). */
export type RegisteredTask<T extends TaskName> = Task & { readonly taskName: T };

export interface TaskContext {
  /** The job's logger: every line carries the job id and the task's name. */
  log: Logger;
  helpers: JobHelpers;
}

/**
 * Wraps a task's handler: parses the payload with the registry's schema and gives the handler a
 * logger of its own. A payload that does not parse fails the job at once and for good — with the
 * task, the job and the problem in the error — since every retry would fail the same way.
 */
export function defineTask<T extends TaskName>(taskName: T, handler: (payload: JobPayload<T>, ctx: TaskContext) => Promise<void>): RegisteredTask<T> {
  const task: Task = async (raw, helpers) => {
    // Optional at runtime: tests call tasks directly with hand-made helpers.
    const job = helpers.job as JobHelpers["job"] | undefined;
    const log = scoped("job", { task: taskName, ...(job ? { job: job.id } : {}) });
    const parsed = jobs[taskName].payload.safeParse(raw ?? {});
    if (!parsed.success) {
      const problem = parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ");
      if (job) {
        await makeLastAttempt(db, job.id);
        // graphile-worker reads this copy to decide (and log) whether the failure was the last one.
        job.max_attempts = job.attempts;
      }
      throw new Error(`${taskName}: bad payload (${problem}); job ${job?.id ?? "?"} is not retried: ${JSON.stringify(raw)}`);
    }
    await handler(parsed.data as JobPayload<T>, { log, helpers });
  };
  return Object.assign(task, { taskName });
}
