import { cleanupProtectedLeftovers } from "@/server/grants/protected-cleanup";
import { defineTask } from "../define-task";

/** Cron: AdminSDHolder leftovers (adminCount, inheritance disabled) cleared after protected-group grants end. */
export const grants__protected_cleanup = defineTask("grants__protected_cleanup", async (_payload, { log }) => {
  const r = await cleanupProtectedLeftovers();
  if (r.cleared || r.failed) log.info(`protected groups: ${r.cleared} account(s) cleaned, ${r.failed} failed, ${r.checked} checked`);
});
