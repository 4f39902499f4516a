import type { Logger } from "pino";
import { outageKnown } from "@/server/directory/outages";
import { subscribe } from "@/db/listen";
import { nextDueAt, sweepExpired } from "@/server/grants/sweep";
import { requeueStuckActivations } from "@/server/grants/watchdog";
import { env } from "@/server/env";

/** Longest nap between checks, in case a notification was missed. */
const MAX_SLEEP_MS = 5_000;
const ERROR_BACKOFF_MS = 1_000;

/**
 * Wakes exactly at the next expiry instead of waiting for graphile-worker's poll, and sweeps.
 * Services NOTIFY `interim_grant_schedule` when an expiry moves, which re-arms the timer.
 */
export async function startExpiryTimer(log: Logger): Promise<{ stop: () => Promise<void>; sweeping: () => boolean }> {
  let stopped = false;
  let sweeping = false;
  let wake: (() => void) | undefined;
  // A LISTEN on a connection of its own, lost when Postgres restarts (postgres-js's own re-LISTEN
  // fails while the server is down): after a failed round (the database was unreachable), or when a
  // check every few seconds finds its connection gone, the timer subscribes anew.
  const listen = () => subscribe("interim_grant_schedule", () => wake?.());
  let listener = await listen();
  let resubscribe = false;
  let checkedAt = Date.now();
  const listenerLost = async () => {
    if (Date.now() - checkedAt < MAX_SLEEP_MS) return false;
    checkedAt = Date.now();
    return !(await listener.listening());
  };

  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    while (!stopped) {
      try {
        // No DC answers: the probe (directory-probe.ts) wakes this timer the moment one does.
        if (outageKnown()) {
          await nap(MAX_SLEEP_MS);
          continue;
        }
        // Subscribed before reading the next expiry, so no change between the two is missed.
        if (resubscribe || (await listenerLost())) {
          resubscribe = true;
          await listener.close();
          listener = await listen();
          resubscribe = false;
          log.info("expiry timer listening again");
        }
        const next = await nextDueAt();
        const wait = next ? next.getTime() - Date.now() : MAX_SLEEP_MS;
        if (wait > 0) {
          await nap(Math.min(wait, MAX_SLEEP_MS));
          continue;
        }
        sweeping = true;
        const result = await sweepExpired().finally(() => {
          sweeping = false;
        });
        if (result.claimed) log.info({ sweep: result }, "expiry sweep");
        // Nothing removable right now (e.g. directory down): do not spin on the same rows.
        if (result.failed && !result.removed) await nap(ERROR_BACKOFF_MS);
      } catch (err) {
        log.error({ err }, "expiry timer");
        resubscribe = true;
        await nap(ERROR_BACKOFF_MS);
      }
    }
  })();

  return {
    /** Whether a sweep is removing access right now (other work can wait for it). */
    sweeping: () => sweeping,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await listener.close();
    },
  };
}

/**
 * Every half lease, re-queues activations whose job died with a killed worker, so a crash costs
 * seconds rather than the minute until the next reconcile.
 */
export function startActivationWatchdog(log: Logger): { stop: () => void } {
  const every = Math.max(1_000, (env.GRANT_LEASE_SECONDS * 1000) / 2);
  const timer = setInterval(() => {
    requeueStuckActivations().then(
      (n) => n && log.warn({ requeued: n }, "re-queued stuck activations"),
      (err: unknown) => log.error({ err }, "activation watchdog"),
    );
  }, every);
  return { stop: () => clearInterval(timer) };
}

export const expiryTimerEnabled = () => !env.WORKER_DISABLE_TIMER;
