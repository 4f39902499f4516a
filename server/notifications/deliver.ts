import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { notificationDeliveries } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";
import { metrics } from "@/server/ops/metrics";
import { parseAllowList } from "./egress-policy";
import { postWebhook, type Resolver, sendEmail, WebhookFailure } from "./transport";
import { signingSecretFor } from "./webhook-secrets";

/*
 * Sending the deliveries the dispatcher (./dispatch.ts) fanned out: due rows claimed one at a time
 * under a lease, sent with no transaction held, retried with backoff, the last failure audited.
 */

/** Where deliveries go; the worker uses the environment, tests point it at loopback sinks. */
export interface DispatcherConfig {
  smtpUrl: string | undefined;
  from: string;
  webhookTimeoutMs: number;
  /** INTERIM_WEBHOOK_ALLOW's entries: the internal receivers webhooks may reach. */
  webhookAllow: readonly string[];
  /** Name resolution for webhooks (dns.lookup unless a test stands in for DNS). */
  resolve?: Resolver;
  maxAttempts: number;
}

export function configFromEnv(): DispatcherConfig {
  return {
    smtpUrl: env.SMTP_URL,
    from: env.MAIL_FROM,
    webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
    webhookAllow: env.INTERIM_WEBHOOK_ALLOW,
    maxAttempts: env.NOTIFY_MAX_ATTEMPTS,
  };
}

/** 5 s, 10 s, 20 s … capped at 15 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(15 * 60_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

export interface DeliveryResult {
  sent: number;
  retried: number;
  failed: number;
}

/** Sends due deliveries (parallel lanes, one row locked per send) until none is due or `limit` is reached. */
export async function deliverDue(config: DispatcherConfig = configFromEnv(), limit = 500, lanes = 4): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, retried: 0, failed: 0 };
  let budget = limit;
  const lane = async () => {
    while (budget > 0) {
      budget -= 1;
      const outcome = await deliverOne(config);
      if (outcome === "none") return;
      result[outcome] += 1;
      metrics().notificationDeliveries.inc({ outcome });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return result;
}

/**
 * What is kept and shown of a failure. Webhooks: only WebhookFailure's fixed phrases; anything
 * else (a bug, a database error) is logged for the operator and stored as a plain word.
 */
function storedError(channel: "email" | "webhook", err: unknown): string {
  if (channel === "email") return (err instanceof Error ? err.message : String(err)).slice(0, 500);
  if (err instanceof WebhookFailure) return err.message.slice(0, 500);
  scoped("notifications").error({ err }, "webhook delivery failed unexpectedly");
  return "delivery failed";
}

/** A "sending" delivery whose worker has not finished within this long is taken again. */
export const SEND_LEASE_SECONDS = 120;

/**
 * One delivery: claimed in a short transaction (a lease, the attempt counted), sent with no
 * transaction or connection held, then its outcome recorded. A worker killed mid-send leaves a
 * lapsed lease that another run retakes (the message may then go out twice: at least once).
 */
async function deliverOne(config: DispatcherConfig): Promise<"none" | "sent" | "retried" | "failed"> {
  const [d] = await db.execute<{
    id: string;
    event_id: string;
    access_group_id: string | null;
    channel: "email" | "webhook";
    recipient: string;
    target: { kind: "generic" | "slack" | "teams"; url: string; webhookId?: string } | null;
    message: unknown;
    attempts: number;
  }>(sql`
    update notification_deliveries set state = 'sending', claimed_at = now(), attempts = attempts + 1
    where id = (
      select id from notification_deliveries
      where (state = 'queued' and next_attempt_at <= now())
         or (state = 'sending' and claimed_at < now() - make_interval(secs => ${SEND_LEASE_SECONDS}))
      order by next_attempt_at
      limit 1
      for update skip locked
    )
    returning id, event_id, access_group_id, channel, recipient, target, message, attempts`);
  if (!d) return "none";
  const fenced = and(eq(notificationDeliveries.id, d.id), eq(notificationDeliveries.state, "sending"), eq(notificationDeliveries.attempts, d.attempts));
  try {
    if (d.channel === "email") {
      if (!config.smtpUrl) throw new Error("SMTP_URL is not set");
      await sendEmail({ smtpUrl: config.smtpUrl, from: config.from }, d.recipient, d.message as Parameters<typeof sendEmail>[2]);
    } else {
      const secret = await signingSecretFor(d.access_group_id, d.target!.webhookId);
      const allow = parseAllowList(config.webhookAllow);
      await postWebhook({ timeoutMs: config.webhookTimeoutMs, allow, resolve: config.resolve }, d.target!, d.message, { deliveryId: d.id, secret });
    }
    await db
      .update(notificationDeliveries)
      .set({ state: "sent", sentAt: sql`now()`, lastError: null, claimedAt: null })
      .where(fenced);
    return "sent";
  } catch (err) {
    const error = storedError(d.channel, err);
    const final = d.attempts >= config.maxAttempts;
    return db.transaction(async (tx) => {
      const [row] = await tx
        .update(notificationDeliveries)
        .set({ state: final ? "failed" : "queued", lastError: error, claimedAt: null, nextAttemptAt: new Date(Date.now() + backoffMs(d.attempts)) })
        .where(fenced)
        .returning({ id: notificationDeliveries.id });
      if (row && final) {
        await recordAudit(tx, SYSTEM_ACTOR, [
          {
            action: "notification.failed",
            targetType: "notification",
            targetId: d.id,
            data: { channel: d.channel, recipient: d.recipient, eventId: d.event_id, attempts: d.attempts, error },
          },
        ]);
      }
      return final ? "failed" : "retried";
    });
  }
}
