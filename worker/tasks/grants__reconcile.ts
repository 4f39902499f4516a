import { reconcile } from "@/server/grants/reconcile";
import { withSessionLock } from "@/server/jobs/locks";
import { defineTask } from "../define-task";

const RECONCILE_LOCK = 0x1a7e_9ec0;

/**
 * Cron: compare the directory with the grants (see reconcile). One at a time across workers: a
 * run that finds another in progress ends at once (the next minute's run catches up).
 */
export const grants__reconcile = defineTask("grants__reconcile", async (_payload, { log }) => {
  const result = await withSessionLock(RECONCILE_LOCK, reconcile);
  if (!result.ran) {
    log.debug("reconcile: another run is in progress; skipped");
    return;
  }
  const r = result.value;
  if (r.requeued || r.orphansRemoved || r.reapplied || r.standingRemoved || r.driftFound) log.info(`reconcile: ${JSON.stringify(r)}`);
  if (r.errors.length) log.error(`reconcile could not check ${r.errors.length} group(s): ${JSON.stringify(r.errors)}`);
});
