import { activateGrant } from "@/server/grants/activate";
import { metrics } from "@/server/ops/metrics";
import { defineTask } from "../define-task";

/** Puts the grant's account into its AD group (idempotent; see activateGrant). */
export const grants__activate = defineTask("grants__activate", async ({ grantId }, { log }) => {
  const outcome = await activateGrant(grantId).catch((err: unknown) => {
    metrics().grantActivations.inc({ outcome: "error" });
    throw err;
  });
  metrics().grantActivations.inc({ outcome });
  log.debug(`grant ${grantId}: ${outcome}`);
});
