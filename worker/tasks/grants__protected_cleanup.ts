import type { Task } from "graphile-worker";
import { cleanupProtectedLeftovers } from "@/server/grants/protected-cleanup";

/** Cron: AdminSDHolder leftovers (adminCount, inheritance disabled) cleared after protected-group grants end. */
export const grants__protected_cleanup: Task = async (_raw, helpers) => {
  const r = await cleanupProtectedLeftovers();
  if (r.cleared || r.failed) helpers.logger.info(`protected groups: ${r.cleared} account(s) cleaned, ${r.failed} failed, ${r.checked} checked`);
};
