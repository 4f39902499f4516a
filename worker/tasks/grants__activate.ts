import { outageKnown } from "@/server/directory/outages";
import { activateQueued } from "@/server/grants/activate-batch";
import { metrics } from "@/server/ops/metrics";
import { defineTask } from "../define-task";

/**
 * Puts the grant's account into its AD group (idempotent), with the other activations queued and
 * due (server/grants/activate-batch.ts). While the directory is down (an open outage) nothing is
 * claimed: the job waits in graphile-worker's backoff, and the probe re-queues it the moment a DC
 * answers (worker/directory-probe.ts).
 */
export const grants__activate = defineTask("grants__activate", async ({ grantId }, { log }) => {
  if (outageKnown()) throw new Error("the directory is unreachable (open outage): the activation runs when it answers again");
  const outcome = await activateQueued(grantId).catch((err: unknown) => {
    metrics().grantActivations.inc({ outcome: "error" });
    throw err;
  });
  if (typeof outcome === "string") metrics().grantActivations.inc({ outcome });
  else {
    metrics().grantActivations.inc({ outcome: "activated" }, outcome.activated);
    metrics().grantActivations.inc({ outcome: "failed" }, outcome.failed);
    metrics().grantActivations.inc({ outcome: "error" }, outcome.retried);
  }
  log.debug(`grant ${grantId}: ${typeof outcome === "string" ? outcome : JSON.stringify(outcome)}`);
});
