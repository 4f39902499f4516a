import { runCatalogSync, runScheduledCatalogSync } from "@/server/catalog/sync";
import { defineTask } from "../define-task";

/** Syncs the catalog from AD (see server/catalog/sync.ts); runs never overlap (advisory lock). */
export const catalog__sync = defineTask("catalog__sync", async ({ runId }, { log }) => {
  const run = runId ? await runCatalogSync(runId) : await runScheduledCatalogSync();
  if (!run) {
    log.debug(`catalog sync ${runId}: nothing to do (already finished)`);
    return;
  }
  const summary = `catalog sync ${run.id} (${run.trigger}): ${run.state}, +${run.added} ~${run.updated} -${run.removed} of ${run.total}`;
  if (run.state === "failed") log.error(`${summary}: ${run.error}`);
  else if (run.added || run.updated || run.removed) log.info(summary);
  else log.debug(summary);
});
