import { finishSetRollback } from "@/server/privilege-sets/rollback";
import { defineTask } from "../define-task";

/** Ends the grants of a rolled-back privilege set that were busy when it was rolled back (see rollBackSet). */
export const grants__rollback_set = defineTask("grants__rollback_set", async ({ requestId, failedGrantId, reason }, { log }) => {
  const ended = await finishSetRollback(requestId, failedGrantId, reason);
  log.debug(`set request ${requestId}: ${ended.length} grant(s) rolled back in the second pass`);
});
