import { activateGrant } from "@/server/grants/activate";
import { defineTask } from "../define-task";

/** Puts the grant's account into its AD group (idempotent; see activateGrant). */
export const grants__activate = defineTask("grants__activate", async ({ grantId }, { log }) => {
  const outcome = await activateGrant(grantId);
  log.debug(`grant ${grantId}: ${outcome}`);
});
