import { offboardAccounts } from "@/server/auth/offboarding";
import { defineTask } from "../define-task";

/**
 * Cron (every minute) and on demand: accounts AD disabled, expired or deleted lose their pending
 * requests, live grants and sessions (server/auth/offboarding.ts). `userId`: one person, queued
 * the moment a call found their account refused.
 */
export const accounts__offboard = defineTask("accounts__offboard", async (payload, { log }) => {
  const r = await offboardAccounts({ userId: payload.userId });
  for (const o of r.offboarded)
    log.info(`offboarded ${o.username} (${o.reason}): ${o.requestsCancelled} request(s) cancelled, ${o.grantsEnded} grant(s) ended`);
});
