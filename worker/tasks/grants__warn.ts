import type { Task } from "graphile-worker";
import { z } from "zod";
import { warnExpiring } from "@/server/grants/warn";

const payload = z.object({ grantId: z.uuid() });

/** Warns the holder that a grant ends soon (the mail links to the extend form where allowed). */
export const grants__warn: Task = async (raw, helpers) => {
  const { grantId } = payload.parse(raw);
  if (await warnExpiring(grantId)) helpers.logger.info(`expiring-soon warning queued for grant ${grantId}`);
};
