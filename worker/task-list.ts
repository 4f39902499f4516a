import { parseCronItems, type ParsedCronItem, type TaskList } from "graphile-worker";
import { cronJobs, taskNames, type TaskName } from "@/server/jobs/registry";
import type { RegisteredTask } from "./define-task";
import { accounts__offboard } from "./tasks/accounts__offboard";
import { catalog__sync } from "./tasks/catalog__sync";
import { grants__activate } from "./tasks/grants__activate";
import { grants__expire } from "./tasks/grants__expire";
import { grants__protected_cleanup } from "./tasks/grants__protected_cleanup";
import { grants__reconcile } from "./tasks/grants__reconcile";
import { grants__rollback_set } from "./tasks/grants__rollback_set";
import { grants__temporary_group_cleanup } from "./tasks/grants__temporary_group_cleanup";
import { grants__warn } from "./tasks/grants__warn";
import { housekeeping__prune } from "./tasks/housekeeping__prune";
import { notifications__dispatch } from "./tasks/notifications__dispatch";
import { requests__expire } from "./tasks/requests__expire";
import { sessions__finish } from "./tasks/sessions__finish";
import { sessions__prepare } from "./tasks/sessions__prepare";
import { sessions__sweep } from "./tasks/sessions__sweep";

/** One handler per registry task: a task added to the registry without one does not compile. */
const handlers: { [T in TaskName]: RegisteredTask<T> } = {
  grants__activate,
  grants__expire,
  grants__warn,
  grants__rollback_set,
  grants__reconcile,
  requests__expire,
  grants__protected_cleanup,
  grants__temporary_group_cleanup,
  notifications__dispatch,
  catalog__sync,
  accounts__offboard,
  sessions__prepare,
  sessions__finish,
  sessions__sweep,
  housekeeping__prune,
};

export const taskList: TaskList = Object.fromEntries(taskNames.map((name) => [name, handlers[name]]));

/** The registry's schedules as graphile-worker cron items (identifier = task name, as the crontab lines had). */
export function cronItems(): ParsedCronItem[] {
  return parseCronItems(
    cronJobs().map((c) => ({
      task: c.task,
      identifier: c.task,
      match: c.schedule,
      options: { maxAttempts: c.maxAttempts, jobKey: c.jobKey, jobKeyMode: c.jobKeyMode },
    })),
  );
}
