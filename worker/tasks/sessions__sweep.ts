import { sweepSessions } from "@/server/sessions/lifecycle";
import { defineTask } from "../define-task";

/** Cron: silent gateways' sessions interrupted, orphaned sessions ended, follow-ups re-queued, old recordings purged. */
export const sessions__sweep = defineTask("sessions__sweep", async () => {
  await sweepSessions();
});
