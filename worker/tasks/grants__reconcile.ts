import type { Task } from "graphile-worker";
import { reconcile } from "@/server/grants/lifecycle";

/** Cron: compare the directory with the grants (see reconcile). */
export const grants__reconcile: Task = async (_raw, helpers) => {
  const r = await reconcile();
  if (r.requeued || r.orphansRemoved || r.reapplied) helpers.logger.info(`reconcile: ${JSON.stringify(r)}`);
};
