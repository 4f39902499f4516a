import "server-only";
import { and, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroups, auditChainAlerts, users } from "@/db/schema";
import { env } from "@/server/env";
import { backoffMs, configFromEnv, type DispatcherConfig } from "@/server/notifications/deliver";
import { parseAllowList } from "@/server/notifications/egress-policy";
import { escapeHtml } from "@/server/notifications/render";
import { notificationSettingsSchema, type WebhookKind } from "@/server/notifications/schemas";
import { postWebhook, sendEmail } from "@/server/notifications/transport";
import { signingSecretFor } from "@/server/notifications/webhook-secrets";

/*
 * Telling people about a broken chain: a mail to every admin with an address (users.is_admin), and
 * a message to every enabled webhook that receives security alerts ("Session alert" on an access
 * group's Notifications tab). Not through the request-bound outbox: the alert has no request. Each
 * recipient told is remembered on the alert, so a failed one is retried (backoff as deliveries)
 * without mailing the others twice.
 */

interface Alert {
  id: string;
  problem: string;
  seq: number;
  message: string;
  firstSeenAt: Date;
  notified: string[];
  notifyAttempts: number;
}

interface Target {
  key: string;
  send: (a: Alert) => Promise<unknown>;
}

function mailOf(a: Alert) {
  const link = `${env.APP_URL.replace(/\/$/, "")}/admin`;
  const subject = `Interim: the audit trail was tampered with (event #${a.seq})`;
  const text = `${a.message}\n\nFirst seen: ${a.firstSeenAt.toISOString()}\nProblem: ${a.problem}\n\nRun \`npm run audit:verify\` and acknowledge the alert on ${link}.`;
  const html = `<p><strong>${escapeHtml(a.message)}</strong></p><p>First seen: ${escapeHtml(a.firstSeenAt.toISOString())}<br>Problem: ${escapeHtml(a.problem)}</p><p>Run <code>npm run audit:verify</code> and acknowledge the alert on <a href="${escapeHtml(link)}">${escapeHtml(link)}</a>.</p>`;
  return { subject, text, html };
}

function webhookBody(a: Alert, kind: WebhookKind): unknown {
  const line = `Interim: audit trail tampered with — ${a.message}`;
  if (kind === "slack") return { text: line };
  if (kind === "teams") return { type: "message", text: line };
  return { type: "interim.audit_chain_broken", alertId: a.id, problem: a.problem, seq: a.seq, message: a.message, firstSeenAt: a.firstSeenAt.toISOString() };
}

async function targets(config: DispatcherConfig): Promise<Target[]> {
  const out: Target[] = [];
  if (config.smtpUrl) {
    const smtp = { smtpUrl: config.smtpUrl, from: config.from };
    const admins = await db
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.isAdmin, true), isNotNull(users.email)));
    for (const email of new Set(admins.map((u) => u.email!.toLowerCase()))) out.push({ key: `mail:${email}`, send: (a) => sendEmail(smtp, email, mailOf(a)) });
  }
  const groups = await db.select({ id: accessGroups.id, notifications: accessGroups.notifications }).from(accessGroups);
  const allow = parseAllowList(config.webhookAllow);
  for (const g of groups) {
    const parsed = notificationSettingsSchema.safeParse(g.notifications ?? {});
    if (!parsed.success) continue;
    for (const w of parsed.data.webhooks.filter((w) => w.enabled && w.events.includes("session_alert"))) {
      out.push({
        key: `webhook:${w.id}`,
        send: async (a) =>
          postWebhook({ timeoutMs: config.webhookTimeoutMs, allow, resolve: config.resolve }, w, webhookBody(a, w.kind), {
            deliveryId: `${a.id}:${w.id}`,
            secret: await signingSecretFor(g.id, w.id),
          }),
      });
    }
  }
  return out;
}

/** Sends what is still owed for open alerts; returns how many messages went out. */
export async function notifyAlerts(config: DispatcherConfig = configFromEnv(), now = Date.now()): Promise<number> {
  const pending: Alert[] = await db
    .select({
      id: auditChainAlerts.id,
      problem: auditChainAlerts.problem,
      seq: auditChainAlerts.seq,
      message: auditChainAlerts.message,
      firstSeenAt: auditChainAlerts.firstSeenAt,
      notified: auditChainAlerts.notified,
      notifyAttempts: auditChainAlerts.notifyAttempts,
    })
    .from(auditChainAlerts)
    .where(and(isNull(auditChainAlerts.notifiedAt), lt(auditChainAlerts.notifyAttempts, config.maxAttempts)));
  const due = pending.filter((a) => a.notifyAttempts === 0 || now - a.firstSeenAt.getTime() >= backoffMs(a.notifyAttempts));
  if (due.length === 0) return 0;
  const all = await targets(config);
  let sent = 0;
  for (const a of due) {
    const told = new Set(a.notified);
    let error: string | null = null;
    for (const t of all.filter((t) => !told.has(t.key))) {
      try {
        await t.send(a);
        told.add(t.key);
        sent += 1;
      } catch (err) {
        error ??= `${t.key.split(":")[0]}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
      }
    }
    await db
      .update(auditChainAlerts)
      .set({ notified: [...told], notifyAttempts: sql`${auditChainAlerts.notifyAttempts} + 1`, notifyError: error, notifiedAt: error ? null : sql`now()` })
      .where(eq(auditChainAlerts.id, a.id));
  }
  return sent;
}
