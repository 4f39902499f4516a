import type { Task } from "graphile-worker";
import { z } from "zod";
import { finishSetRollback } from "@/server/privilege-sets/rollback";

const payload = z.object({ requestId: z.string().uuid(), failedGrantId: z.string().uuid(), reason: z.string() });

/** Ends the grants of a rolled-back privilege set that were busy when it was rolled back (see rollBackSet). */
export const grants__rollback_set: Task = async (raw, helpers) => {
  const { requestId, failedGrantId, reason } = payload.parse(raw);
  const ended = await finishSetRollback(requestId, failedGrantId, reason);
  helpers.logger.debug(`set request ${requestId}: ${ended.length} grant(s) rolled back in the second pass`);
};
