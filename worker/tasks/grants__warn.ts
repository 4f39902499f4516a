import { warnExpiring } from "@/server/grants/warn";
import { defineTask } from "../define-task";

/** Warns the holder that a grant ends soon (the mail links to the extend form where allowed). */
export const grants__warn = defineTask("grants__warn", async ({ grantId }, { log }) => {
  if (await warnExpiring(grantId)) log.info(`expiring-soon warning queued for grant ${grantId}`);
});
