import path from "node:path";
import type { Logger } from "pino";
import { checkpointIfDue, newWriterState } from "@/server/audit/checkpoints";
import { signingKey } from "@/server/audit/checkpoints-key";
import { keyIdOf } from "@/server/audit/checkpoints-sign";
import { watchExclusive, type WatchState } from "@/server/audit/watch";
import { notifyAlerts } from "@/server/audit/watch-notify";
import { env } from "@/server/env";
import { startPoller } from "./poller";

/**
 * The audit chain's anchoring in the worker (issue 16): signed checkpoints of the head, and the
 * continuous check of new rows (alerts raised once, then mailed and posted). Throws
 * SigningKeyMissing in production without a key: the worker refuses to start rather than run
 * without anchoring.
 */
export function startAuditAnchor(log: Logger): { stop: () => Promise<void> } {
  const key = signingKey();
  const file = path.resolve(env.AUDIT_CHECKPOINT_FILE);
  log.info({ keyId: keyIdOf(key.publicKey), source: key.source, file }, "audit checkpoints signed");
  const writer = newWriterState();
  const policy = { everyEvents: env.AUDIT_CHECKPOINT_EVERY, intervalMs: env.AUDIT_CHECKPOINT_INTERVAL_MS, file };
  const checkpoints = startPoller(
    Math.min(5_000, env.AUDIT_CHECKPOINT_INTERVAL_MS),
    async () => {
      const c = await checkpointIfDue(writer, policy);
      if (c) log.info({ seq: c.seq }, "audit checkpoint written");
    },
    (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, "audit checkpoint failed; next try soon"),
  );
  const state: WatchState = {};
  const watch =
    env.AUDIT_WATCH_INTERVAL_MS > 0
      ? startPoller(
          env.AUDIT_WATCH_INTERVAL_MS,
          async () => {
            await watchExclusive(state, file, log);
            await notifyAlerts();
          },
          (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, "audit chain check failed; next try soon"),
        )
      : undefined;
  return { stop: async () => void (await Promise.all([checkpoints.stop(), watch?.stop()])) };
}
