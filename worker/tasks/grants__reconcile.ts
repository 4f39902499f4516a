import type { Task } from "graphile-worker";
import { reconcile } from "@/server/grants/reconcile";

/** Cron: compare the directory with the grants (see reconcile). Runs in its own queue, one at a time. */
export const grants__reconcile: Task = async (_raw, helpers) => {
  const r = await reconcile();
  if (r.requeued || r.orphansRemoved || r.reapplied) helpers.logger.info(`reconcile: ${JSON.stringify(r)}`);
  if (r.errors.length) helpers.logger.error(`reconcile could not check ${r.errors.length} group(s): ${JSON.stringify(r.errors)}`);
};
