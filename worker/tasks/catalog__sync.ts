import type { Task } from "graphile-worker";
import { z } from "zod";
import { runCatalogSync, runScheduledCatalogSync } from "@/server/catalog/sync";

// "Sync now" jobs carry their run; cron jobs carry none (graphile adds `_cron`, dropped here).
const payload = z.object({ runId: z.string().uuid().optional() });

/** Syncs the catalog from AD (see server/catalog/sync.ts); runs never overlap (advisory lock). */
export const catalog__sync: Task = async (raw, helpers) => {
  const { runId } = payload.parse(raw ?? {});
  const run = runId ? await runCatalogSync(runId) : await runScheduledCatalogSync();
  if (!run) {
    helpers.logger.debug(`catalog sync ${runId}: nothing to do (already finished)`);
    return;
  }
  const summary = `catalog sync ${run.id} (${run.trigger}): ${run.state}, +${run.added} ~${run.updated} -${run.removed} of ${run.total}`;
  if (run.state === "failed") helpers.logger.error(`${summary}: ${run.error}`);
  else if (run.added || run.updated || run.removed) helpers.logger.info(summary);
  else helpers.logger.debug(summary);
};
