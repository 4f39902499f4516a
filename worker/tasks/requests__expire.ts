import { expireUndecided } from "@/server/approvals/service";
import { defineTask } from "../define-task";

/** Cron: requests nobody decided before their deadline expire (REQUEST_APPROVAL_TIMEOUT_HOURS). */
export const requests__expire = defineTask("requests__expire", async (_payload, { log }) => {
  const n = await expireUndecided();
  if (n) log.info(`expired ${n} undecided request(s)`);
});
