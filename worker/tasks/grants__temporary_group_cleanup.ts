import type { Task } from "graphile-worker";
import { cleanUpTemporaryGroups } from "@/server/grants/temporary-groups";

/** Cron: temporary groups no live grant owns are deleted (see server/grants/temporary-groups.ts). */
export const grants__temporary_group_cleanup: Task = async (_raw, helpers) => {
  const r = await cleanUpTemporaryGroups();
  if (r.deleted || r.failed) helpers.logger.info(`temporary groups: ${r.deleted} orphan(s) deleted, ${r.failed} failed, ${r.checked} checked`);
  for (const e of r.errors) helpers.logger.warn(`temporary groups: could not delete ${e}`);
};
