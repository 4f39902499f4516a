import { cleanUpTemporaryGroups } from "@/server/grants/temporary-groups";
import { defineTask } from "../define-task";

/** Cron: temporary groups no live grant owns are deleted (see server/grants/temporary-groups.ts). */
export const grants__temporary_group_cleanup = defineTask("grants__temporary_group_cleanup", async (_payload, { log }) => {
  const r = await cleanUpTemporaryGroups();
  if (r.deleted || r.failed) log.info(`temporary groups: ${r.deleted} orphan(s) deleted, ${r.failed} failed, ${r.checked} checked`);
  for (const e of r.errors) log.warn(`temporary groups: could not delete ${e}`);
});
