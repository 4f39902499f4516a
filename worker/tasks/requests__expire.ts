import type { Task } from "graphile-worker";
import { expireUndecided } from "@/server/approvals/service";

/** Cron: requests nobody decided before their deadline expire (REQUEST_APPROVAL_TIMEOUT_HOURS). */
export const requests__expire: Task = async (_raw, helpers) => {
  const n = await expireUndecided();
  if (n) helpers.logger.info(`expired ${n} undecided request(s)`);
};
