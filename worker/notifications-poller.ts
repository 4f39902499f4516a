import type { Logger } from "pino";
import { notificationsPending, runDispatcherExclusive } from "@/server/notifications/dispatch";
import { startPoller } from "./poller";

/**
 * Sends notifications: every second, when the outbox has events or a delivery is due (a retry's
 * time came, a sender's lease lapsed), runs the dispatcher. Business transactions only insert
 * outbox rows, so nothing they lock is shared with this loop; one dispatcher runs at a time
 * across workers. The `notifications__dispatch` cron is a second way in.
 *
 * While `holdWhile()` says so (this worker's expiry sweep is removing access), it waits and a
 * running dispatcher stops between batches: 10,000 expiries write 10,000 outbox events, and fanning
 * them out during the sweep slowed the removals by a third on a small machine. The mails follow
 * the sweep by a second or two.
 */
export function startNotificationPoller(log: Logger, opts: { everyMs?: number; holdWhile?: () => boolean } = {}): { stop: () => Promise<void> } {
  const { everyMs = 1_000, holdWhile } = opts;
  return startPoller(
    everyMs,
    async () => {
      if (!(await notificationsPending())) return;
      const r = await runDispatcherExclusive(undefined, holdWhile);
      if (r && (r.events || r.sent || r.retried || r.failed)) {
        log.info({ events: r.events, deliveries: r.deliveries, sent: r.sent, retrying: r.retried, failed: r.failed }, "notifications");
      }
    },
    (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, "notification dispatch failed; next try in a second"),
    holdWhile,
  );
}
