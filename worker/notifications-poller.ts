import type { Logger } from "pino";
import { notificationsPending, runDispatcherExclusive } from "@/server/notifications/dispatch";

/**
 * Sends notifications: every second, when the outbox has events or a delivery is due (a retry's
 * time came, a sender's lease lapsed), runs the dispatcher. Business transactions only insert
 * outbox rows, so nothing they lock is shared with this loop; one dispatcher runs at a time
 * across workers. The `notifications__dispatch` cron is a second way in.
 */
export function startNotificationPoller(log: Logger, everyMs = 1_000): { stop: () => Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = (async () => {
      if (!(await notificationsPending())) return;
      const r = await runDispatcherExclusive();
      if (r && (r.events || r.sent || r.retried || r.failed)) {
        log.info({ events: r.events, deliveries: r.deliveries, sent: r.sent, retrying: r.retried, failed: r.failed }, "notifications");
      }
    })()
      .catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, "notification dispatch failed; next try in a second"))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
