import { pruneOldRows } from "@/server/housekeeping/prune";
import { defineTask } from "../define-task";

/** Cron (daily): permanently failed jobs, old deliveries and old sign-in attempts go (server/housekeeping/prune.ts). */
export const housekeeping__prune = defineTask("housekeeping__prune", async () => {
  await pruneOldRows();
});
