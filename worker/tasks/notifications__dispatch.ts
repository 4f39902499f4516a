import { runDispatcherExclusive } from "@/server/notifications/dispatch";
import { defineTask } from "../define-task";

/** Fans new notification events out to their recipients and sends what is due (retries with backoff). */
export const notifications__dispatch = defineTask("notifications__dispatch", async (_payload, { log }) => {
  const r = await runDispatcherExclusive();
  if (!r) return; // another run is working and will see this run's events
  if (r.events || r.sent || r.retried || r.failed) {
    log.info(`notifications: ${r.events} event(s) → ${r.deliveries} delivery(ies); sent ${r.sent}, retrying ${r.retried}, failed ${r.failed}`);
  }
});
