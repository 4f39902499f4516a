import "server-only";
import { requesterErrorText } from "@/server/grants/error-text";
import { eq, inArray, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroups, catalogCredentials, grants, notificationDeliveries, notificationEvents, privilegeSets, privileges, requests, users } from "@/db/schema";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { mailOf } from "@/server/directory/principals";
import { env } from "@/server/env";
import { approversAt, lastLevel } from "@/server/approvals/levels";
import { withSessionLock } from "@/server/jobs/locks";
import { scoped } from "@/server/logger";
import { configFromEnv, deliverDue, type DeliveryResult, type DispatcherConfig, SEND_LEASE_SECONDS } from "./deliver";
import type { NotificationFacts } from "./facts";
import { renderEmail } from "./render";
import { renderWebhook } from "./render-webhook";
import { notificationSettingsSchema, type NotificationEvent, type NotificationSettings } from "./schemas";

/*
 * The dispatcher (worker task notifications__dispatch): fans each outbox event out into one
 * delivery per recipient — the people concerned by email, the group's extra addresses and its
 * webhooks — then sends due deliveries, retrying failures with backoff. Every step is a short
 * transaction with SKIP LOCKED, so several workers share the work and a killed one loses nothing.
 */

/** Called on use, not at import: env is validated lazily (unit tests import this module without one). */
const log = () => scoped("notifications");

export { backoffMs, configFromEnv, deliverDue, type DeliveryResult, type DispatcherConfig } from "./deliver";

/** Events the group's approvers are mailed about: the list recipientsOf and the address lookup share. */
const APPROVER_EVENTS: readonly NotificationEvent[] = ["approval_needed", "emergency", "session_alert"];

/** Events the requester hears about (approvers get APPROVER_EVENTS). */
const REQUESTER_EVENTS: readonly NotificationEvent[] = [
  "requested",
  "approved",
  "denied",
  "granted",
  "extended",
  "expiring_soon",
  "expired",
  "revoked",
  "failed",
];

type EventRow = typeof notificationEvents.$inferSelect;

interface Recipient {
  channel: "email" | "webhook";
  recipient: string;
  audience: "requester" | "approver" | "observer";
  target: { kind: "generic" | "slack" | "teams"; url: string; webhookId: string } | null;
}

export interface DispatchResult {
  events: number;
  deliveries: number;
}

/** Fans out up to `limit` undispatched events. */
export async function dispatchEvents(config: DispatcherConfig = configFromEnv(), limit = 200): Promise<DispatchResult> {
  return db.transaction(async (tx) => {
    const events = await tx
      .select()
      .from(notificationEvents)
      .where(isNull(notificationEvents.dispatchedAt))
      .orderBy(notificationEvents.createdAt)
      .limit(limit)
      .for("update", { skipLocked: true });
    if (events.length === 0) return { events: 0, deliveries: 0 };
    const facts = await gatherFacts(tx, events);
    // Approvers are mailed for three events only (recipientsOf); their addresses are looked up for those alone.
    const approverEmails = await emailsOf(
      tx,
      events.flatMap((e) => (APPROVER_EVENTS.includes(e.event) ? (facts.get(e.id)?.policy?.approvers.map((a) => a.userGuid.toLowerCase()) ?? []) : [])),
    );
    const rows: (typeof notificationDeliveries.$inferInsert)[] = [];
    for (const e of events) {
      const f = facts.get(e.id);
      if (!f) continue;
      for (const r of recipientsOf(e, f, approverEmails, Boolean(config.smtpUrl))) {
        const message = r.channel === "email" ? renderEmail(f.facts, r.audience) : renderWebhook(f.facts, r.target!.kind).body;
        rows.push({ eventId: e.id, accessGroupId: f.accessGroupId, channel: r.channel, recipient: r.recipient, target: r.target, message });
      }
    }
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(notificationDeliveries).values(rows.slice(i, i + 1000));
    await tx
      .update(notificationEvents)
      .set({ dispatchedAt: sql`now()` })
      .where(
        inArray(
          notificationEvents.id,
          events.map((e) => e.id),
        ),
      );
    return { events: events.length, deliveries: rows.length };
  });
}

interface Gathered {
  facts: NotificationFacts;
  policy: FrozenPolicy | null;
  settings: NotificationSettings;
  requesterEmail: string | null;
  accessGroupId: string | null;
}

async function gatherFacts(tx: Parameters<Parameters<typeof db.transaction>[0]>[0], events: EventRow[]): Promise<Map<string, Gathered>> {
  const requestIds = [...new Set(events.map((e) => e.requestId))];
  const grantIds = [...new Set(events.flatMap((e) => (e.grantId ? [e.grantId] : [])))];
  const rows = await tx
    .select({
      request: requests,
      requester: { username: users.username, displayName: users.displayName, email: users.email },
      privilege: {
        name: privileges.name,
        groupDn: privileges.groupDn,
        allowExtension: privileges.allowExtension,
        maxTotalMinutes: sql<number>`coalesce(${privileges.maxTotalMinutes}, ${privileges.maxDurationMinutes})`,
      },
      account: catalogCredentials.username,
      notifications: accessGroups.notifications,
      privilegeSet: privilegeSets.name,
      setGroups: sql<
        { name: string; groupDn: string }[] | null
      >`(select json_agg(json_build_object('name', p.name, 'groupDn', p.group_dn) order by p.name) from privileges p where p.id = any(${requests.setPrivilegeIds}))`,
    })
    .from(requests)
    .innerJoin(users, eq(users.id, requests.requesterId))
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .leftJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
    .leftJoin(catalogCredentials, eq(catalogCredentials.id, requests.credentialId))
    .leftJoin(accessGroups, eq(accessGroups.id, requests.accessGroupId))
    .where(inArray(requests.id, requestIds));
  const byRequest = new Map(rows.map((r) => [r.request.id, r]));
  const grantRows = grantIds.length
    ? await tx
        .select({
          id: grants.id,
          activatedAt: grants.activatedAt,
          expiresAt: grants.expiresAt,
          startsAt: grants.startsAt,
          lastError: grants.lastError,
          state: grants.state,
          privilege: privileges.name,
          groupDn: grants.groupDn,
        })
        .from(grants)
        .innerJoin(privileges, eq(privileges.id, grants.privilegeId))
        .where(inArray(grants.id, grantIds))
    : [];
  const byGrant = new Map(grantRows.map((g) => [g.id, g]));

  const out = new Map<string, Gathered>();
  for (const e of events) {
    const r = byRequest.get(e.requestId);
    if (!r) continue;
    const g = e.grantId ? byGrant.get(e.grantId) : undefined;
    const policy = r.request.policy;
    const parsed = notificationSettingsSchema.safeParse(r.notifications ?? {});
    const settings = parsed.success ? parsed.data : notificationSettingsSchema.parse({});
    const of = policy && policy.approvers.length > 0 ? lastLevel(policy) : 0;
    const level = e.data.level ?? (e.event === "approval_needed" ? r.request.currentLevel : null);
    const base = env.APP_URL.replace(/\/$/, "");
    const grantId = e.grantId ?? null;
    // A set request: an event about one of its grants names that privilege and the set; the others name the whole set.
    const set = r.privilegeSet ? setWording(r.privilegeSet, r.setGroups ?? [], g) : null;
    out.set(e.id, {
      policy,
      settings,
      requesterEmail: r.requester.email,
      accessGroupId: r.request.accessGroupId,
      facts: {
        event: e.event,
        occurredAt: e.createdAt.toISOString(),
        requestId: r.request.id,
        grantId,
        requestKind: r.request.kind,
        requester: { username: r.requester.username, displayName: r.requester.displayName },
        privilege: set?.privilege ?? r.privilege.name,
        groupDn: set?.groupDn ?? r.privilege.groupDn,
        account: r.account,
        accessGroup: policy?.group.name ?? null,
        durationMinutes: r.request.approvedDurationMinutes ?? r.request.durationMinutes,
        justification: r.request.justification,
        changeId: r.request.changeId,
        governanceCode: r.request.governanceCode,
        emergency: r.request.emergency,
        outsideUsualHours: r.request.outsideUsualHours,
        level: level !== null && of > 0 ? { current: level, of } : null,
        comment: e.data.comment ?? null,
        actor: e.data.actor ?? null,
        startsAt: (g?.startsAt ?? r.request.startsAt)?.toISOString() ?? null,
        expiresAt: g?.expiresAt?.toISOString() ?? null,
        error: requesterErrorText(e.data.error ?? (e.event === "failed" ? (g?.lastError ?? null) : null)),
        timeZone: policy?.group.timeZone ?? "UTC",
        links: {
          decision: `${base}/inbox?request=${r.request.id}`,
          // Only while there is time left to add under the privilege's maximum total.
          extend: grantId && !set && r.privilege.allowExtension && roomLeft(g, r.privilege.maxTotalMinutes) ? `${base}/roles?extend=${grantId}` : null,
          myAccess: `${base}/roles?request=${r.request.id}`,
        },
      },
    });
  }
  return out;
}

function setWording(setName: string, privilegesOfSet: { name: string; groupDn: string }[], grant: { privilege: string; groupDn: string } | undefined) {
  if (grant) return { privilege: `${grant.privilege} (privilege set ${setName})`, groupDn: grant.groupDn };
  return {
    privilege: `the privilege set ${setName} (${privilegesOfSet.map((p) => p.name).join(", ")})`,
    groupDn: privilegesOfSet.map((p) => p.groupDn).join("; "),
  };
}

function roomLeft(g: { activatedAt: Date | null; expiresAt: Date | null } | undefined, maxTotalMinutes: number): boolean {
  if (!g?.activatedAt || !g.expiresAt) return false;
  return (g.expiresAt.getTime() - g.activatedAt.getTime()) / 60_000 < maxTotalMinutes;
}

/**
 * Approvers' addresses: from their users row (written at sign-in from AD), else read from AD, so
 * an approver who never signed in is still told. When the directory cannot be asked, the whole
 * batch stays undispatched and is tried again (the cron runs every minute): nobody is skipped.
 */
async function emailsOf(tx: Parameters<Parameters<typeof db.transaction>[0]>[0], guids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(guids)];
  if (unique.length === 0) return new Map();
  const rows = await tx
    .select({ guid: users.objectGuid, email: users.email })
    .from(users)
    .where(sql`lower(${users.objectGuid}) = any(${`{${unique.join(",")}}`}::text[])`);
  const found = new Map(rows.flatMap((r) => (r.email ? [[r.guid.toLowerCase(), r.email] as const] : [])));
  for (const guid of unique.filter((g) => !found.has(g))) {
    const mail = await mailOf(guid).catch((err: unknown) => {
      log().warn(
        { guid, err: err instanceof Error ? err.message : String(err) },
        "could not read an approver's mail address; the events wait for the next run",
      );
      throw err;
    });
    if (mail) found.set(guid, mail);
  }
  return found;
}

/** Who receives one event: people concerned (mail), extra addresses and webhooks that chose it. */
export function recipientsOf(
  e: Pick<EventRow, "event" | "data">,
  g: Pick<Gathered, "policy" | "settings" | "requesterEmail" | "facts">,
  approverEmails: Map<string, string>,
  emailEnabled: boolean,
): Recipient[] {
  const out: Recipient[] = [];
  const mail = (recipient: string, audience: Recipient["audience"]) => {
    if (!out.some((r) => r.channel === "email" && r.recipient.toLowerCase() === recipient.toLowerCase()))
      out.push({ channel: "email", recipient, audience, target: null });
  };
  const s = g.settings;
  if (s.emailEvents.includes(e.event)) {
    if (REQUESTER_EVENTS.includes(e.event) && g.requesterEmail) mail(g.requesterEmail, "requester");
    if (g.policy && APPROVER_EVENTS.includes(e.event)) {
      // approval_needed: the approvers of the level that must decide; emergency and session alerts: every approver.
      const who =
        e.event === "emergency" || e.event === "session_alert" ? g.policy.approvers : approversAt(g.policy, e.data.level ?? g.facts.level?.current ?? 1);
      for (const a of who) {
        const address = approverEmails.get(a.userGuid.toLowerCase());
        if (address && a.username.toLowerCase() !== g.facts.requester.username.toLowerCase()) mail(address, "approver");
      }
    }
  }
  if (s.extraEvents.includes(e.event)) for (const address of s.extraRecipients) mail(address, "observer");
  for (const w of s.webhooks) {
    if (w.enabled && w.events.includes(e.event))
      out.push({ channel: "webhook", recipient: w.name, audience: "observer", target: { kind: w.kind, url: w.url, webhookId: w.id } });
  }
  // Without SMTP there is no email to send: the Notifications tab says so.
  return emailEnabled ? out : out.filter((r) => r.channel !== "email");
}

/** The worker task: fan out everything new, send what is due, and come back for the retries. */
export async function runDispatcher(config: DispatcherConfig = configFromEnv(), yieldTo?: () => boolean): Promise<DispatchResult & DeliveryResult> {
  const total = { events: 0, deliveries: 0, sent: 0, retried: 0, failed: 0 };
  for (;;) {
    if (yieldTo?.()) break;
    const d = await dispatchEvents(config);
    total.events += d.events;
    total.deliveries += d.deliveries;
    if (d.events === 0) break;
  }
  const r = await deliverDue(config);
  total.sent += r.sent;
  total.retried += r.retried;
  total.failed += r.failed;
  return total;
}

export const DISPATCH_LOCK = 0x1a7e_0a71;

/** Whether the dispatcher has work now: an event not fanned out, or a delivery due (or with a lapsed lease). */
export async function notificationsPending(): Promise<boolean> {
  const [row] = await db.execute<{ pending: boolean }>(sql`
    select exists (select 1 from notification_events where dispatched_at is null)
        or exists (select 1 from notification_deliveries where state = 'queued' and next_attempt_at <= now())
        or exists (select 1 from notification_deliveries where state = 'sending' and claimed_at < now() - make_interval(secs => ${SEND_LEASE_SECONDS})) as pending`);
  return Boolean(row?.pending);
}

/**
 * What the worker runs: one dispatcher at a time across workers (a session advisory lock; a
 * killed worker's lock goes with its connection). Returns null when another one is working.
 * It goes on while new work arrived during a run, unless `yieldTo` says that more urgent work
 * needs the machine (then it stops between batches; the next run takes over).
 */
export async function runDispatcherExclusive(
  config: DispatcherConfig = configFromEnv(),
  yieldTo?: () => boolean,
): Promise<(DispatchResult & DeliveryResult) | null> {
  const run = await withSessionLock(DISPATCH_LOCK, async () => {
    const total = { events: 0, deliveries: 0, sent: 0, retried: 0, failed: 0 };
    do {
      const r = await runDispatcher(config, yieldTo);
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
    } while (!yieldTo?.() && (await notificationsPending()));
    return total;
  });
  return run.ran ? run.value : null;
}
