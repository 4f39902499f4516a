/**
 * Bench phase 6: notification delivery, worker stopped. Every outbox event the earlier phases
 * wrote (requested, granted, expired, revoked … one per state change) is fanned out again, each
 * to one extra address, and mailed over real SMTP to a sink on loopback — except the events of
 * the requests labelled `skipLabels` (the bulk phase's 10,000 would make this phase minutes
 * long). Measures Interim's dispatcher (fan-out + send + bookkeeping) next to raw nodemailer
 * sends in the same lanes.
 */
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { runDispatcher, type DispatcherConfig } from "@/server/notifications/dispatch";
import { closeTransports, sendEmail } from "@/server/notifications/transport";
import { startSmtpSink } from "../tests/support/smtp-sink";
import type { Problems } from "./phases";

export interface NotificationResult {
  events: number;
  mails: number;
  seconds: number;
  mailsPerSecond: number;
  rawMails: number;
  rawSeconds: number;
  rawMailsPerSecond: number;
}

const OBSERVER = "bench-observer@interim.test";

export async function notificationThroughput(rawSamples: number, skipLabels: string[], problems: Problems): Promise<NotificationResult> {
  const sink = await startSmtpSink();
  const config: DispatcherConfig = {
    smtpUrl: sink.url,
    from: "Interim bench <bench@interim.test>",
    webhookTimeoutMs: 5_000,
    webhookAllow: [],
    maxAttempts: 3,
  };
  try {
    // One observer mail per event, nothing else: the bench users have no mail address.
    await db.execute(
      sql`update access_groups set notifications = ${JSON.stringify({ emailEvents: [], extraRecipients: [OBSERVER], extraEvents: ["requested", "approved", "granted", "expired", "revoked", "failed", "extended", "expiring_soon", "denied", "approval_needed", "emergency"] })}::jsonb`,
    );
    await db.execute(sql`delete from notification_deliveries`);
    const [reset] = await db.execute<{ n: number }>(sql`
      with u as (
        update notification_events set dispatched_at = null
        ${skipLabels.length ? sql`where request_id not in (select id from requests where justification in ${skipLabels})` : sql``}
        returning 1)
      select count(*)::int as n from u`);
    const events = Number(reset?.n ?? 0);

    const start = performance.now();
    let sent = 0;
    for (let round = 0; round < 1000; round++) {
      const r = await runDispatcher(config);
      sent += r.sent;
      const [left] = await db.execute<{ n: number }>(
        sql`select (select count(*) from notification_events where dispatched_at is null) + (select count(*) from notification_deliveries where state = 'queued') as n`,
      );
      if (Number(left!.n) === 0) break;
    }
    const seconds = (performance.now() - start) / 1000;
    const [failed] = await db.execute<{ n: number }>(sql`select count(*)::int as n from notification_deliveries where state <> 'sent'`);
    if (Number(failed!.n) > 0) problems.push(`notifications: ${failed!.n} deliveries not sent`);
    if (sink.mails.length !== sent) problems.push(`notifications: the sink received ${sink.mails.length} mails, the dispatcher counted ${sent}`);

    // Raw ceiling: the same message sent by nodemailer in the dispatcher's 8 lanes, no database.
    const message = { subject: "raw", text: "raw", html: "<p>raw</p>" };
    const rawStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < rawSamples) {
          next += 1;
          await sendEmail({ smtpUrl: sink.url, from: config.from }, OBSERVER, message);
        }
      }),
    );
    const rawSeconds = (performance.now() - rawStart) / 1000;
    return { events, mails: sent, seconds, mailsPerSecond: sent / seconds, rawMails: rawSamples, rawSeconds, rawMailsPerSecond: rawSamples / rawSeconds };
  } finally {
    closeTransports();
    await sink.close();
  }
}
