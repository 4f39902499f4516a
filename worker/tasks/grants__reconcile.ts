import type { Task } from "graphile-worker";
import { reconcile } from "@/server/grants/reconcile";
import { withSessionLock } from "@/server/jobs/locks";

const RECONCILE_LOCK = 0x1a7e_9ec0;

/**
 * Cron: compare the directory with the grants (see reconcile). One at a time across workers: a
 * run that finds another in progress ends at once (the next minute's run catches up).
 */
export const grants__reconcile: Task = async (_raw, helpers) => {
  const result = await withSessionLock(RECONCILE_LOCK, reconcile);
  if (!result.ran) {
    helpers.logger.debug("reconcile: another run is in progress; skipped");
    return;
  }
  const r = result.value;
  if (r.requeued || r.orphansRemoved || r.reapplied || r.standingRemoved || r.driftFound) helpers.logger.info(`reconcile: ${JSON.stringify(r)}`);
  if (r.errors.length) helpers.logger.error(`reconcile could not check ${r.errors.length} group(s): ${JSON.stringify(r.errors)}`);
};
