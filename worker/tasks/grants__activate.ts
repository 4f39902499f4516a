import type { Task } from "graphile-worker";
import { z } from "zod";
import { activateGrant } from "@/server/grants/activate";

const payload = z.object({ grantId: z.string().uuid() });

/** Puts the grant's account into its AD group (idempotent; see activateGrant). */
export const grants__activate: Task = async (raw, helpers) => {
  const { grantId } = payload.parse(raw);
  const outcome = await activateGrant(grantId);
  helpers.logger.debug(`grant ${grantId}: ${outcome}`);
};
