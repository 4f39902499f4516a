import type { Client } from "ldapts";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, grants, notificationDeliveries, notificationEvents, privileges, users } from "@/db/schema";
import { updateApprovers, updateNotifications } from "@/server/access-groups/service";
import { decide } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { warnExpiring } from "@/server/grants/warn";
import { jobKeys } from "@/server/jobs/enqueue";
import { withSessionLock } from "@/server/jobs/locks";
import {
  deliverDue,
  DISPATCH_LOCK,
  dispatchEvents,
  notificationsPending,
  runDispatcher,
  runDispatcherExclusive,
  type DispatcherConfig,
} from "@/server/notifications/dispatch";
import { resetEnvForTests } from "@/server/env";
import { verifyDelivery } from "@/server/notifications/signing";
import { closeTransports } from "@/server/notifications/transport";
import { submitRequest } from "@/server/requests/service";
import { startSmtpSink, type SmtpSink } from "@/tests/support/smtp-sink";
import { startWebhookSink, type WebhookSink } from "@/tests/support/webhook-sink";
import { actorFor, adminClient, configuredAccessGroup, directoryGuid, ensureAdGroup, ensureAdUser, localUser, publishNamed, resetDatabase } from "./fixtures";

/*
 * Notifications (issue 4) end to end on loopback: state changes write outbox events in their own
 * transaction, the dispatcher fans them out to the people concerned (real SMTP to a sink), extra
 * addresses and webhooks (generic signed JSON, Slack, Teams), and retries a failing channel with
 * backoff without ever holding up a grant.
 */

const SAMS = ["it-nt-req", "it-nt-a1", "it-nt-a2", "it-nt-b1"] as const;
// The sink listens on loopback: an internal receiver the operator allows (at save and at send).
const ALLOW = "127.0.0.1";
const savedAllow = process.env.INTERIM_WEBHOOK_ALLOW;
let ad: Client;
let admin: SessionUser;
const u: Record<(typeof SAMS)[number], SessionUser> = {} as never;
let privilegeId: string;
let smtp: SmtpSink;
let hooks: WebhookSink;
let config: DispatcherConfig;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of SAMS) await ensureAdUser(ad, sam);
  smtp = await startSmtpSink();
  hooks = await startWebhookSink();
  process.env.INTERIM_WEBHOOK_ALLOW = ALLOW;
  resetEnvForTests();
  config = { smtpUrl: smtp.url, from: "Interim <interim@interim.test>", webhookTimeoutMs: 2_000, webhookAllow: [ALLOW], maxAttempts: 3 };
});
beforeEach(async () => {
  await ensureAdGroup(ad, "it-nt-priv");
  await resetDatabase();
  smtp.mails.length = 0;
  hooks.requests.length = 0;
  hooks.respondWith(204);
  admin = await localUser("carol", true);
  for (const sam of SAMS) u[sam] = await localUser(sam);
  privilegeId = (await publishNamed(admin, "it-nt-priv", "NT Privilege")).id;
  await db.update(privileges).set({ allowExtension: true }).where(eq(privileges.id, privilegeId));
});
afterAll(async () => {
  if (savedAllow === undefined) delete process.env.INTERIM_WEBHOOK_ALLOW;
  else process.env.INTERIM_WEBHOOK_ALLOW = savedAllow;
  resetEnvForTests();
  closeTransports();
  await smtp.close();
  await hooks.close();
  await ad.unbind();
});

/** Two levels (a1, a2 on 1; b1 on 2), emergency allowed, with the given notification settings. */
async function group(notifications: Parameters<typeof updateNotifications>[2]["notifications"], requiresApproval = true) {
  let g = await configuredAccessGroup(admin, {
    name: "it-nt group",
    // Without approval the approvers still matter: they review emergencies.
    settings: { requiresApproval, approvalInLevels: requiresApproval, allowsEmergencyAccess: true, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-nt-req")],
  });
  g = await updateApprovers(admin, actorFor(admin), {
    id: g.id,
    version: g.version,
    approvers: [
      { userGuid: await directoryGuid("it-nt-a1"), level: 1 },
      { userGuid: await directoryGuid("it-nt-a2"), level: 1 },
      { userGuid: await directoryGuid("it-nt-b1"), level: requiresApproval ? 2 : 1 },
    ],
    levels: [{ level: 1, requiredApprovals: 1 }],
  }).then(async () => (await db.query.accessGroups.findFirst({ where: (t, { eq: e }) => e(t.id, g.id) }))!);
  return updateNotifications(admin, actorFor(admin), { id: g.id, version: g.version, notifications });
}

const ask = (extra: { emergency?: boolean } = {}) =>
  submitRequest(u["it-nt-req"], actorFor(u["it-nt-req"]), { privilegeId, durationMinutes: 30, justification: "notification <b>test</b>", ...extra });

const to = (mail: { to?: unknown }) => JSON.stringify(mail.to);

async function deliveries() {
  return db.select().from(notificationDeliveries).orderBy(notificationDeliveries.createdAt);
}

describe("email to the people concerned", () => {
  it("mails the level-1 approvers a link to the decision, then level 2, then the requester when granted", async () => {
    await group({});
    const r = await ask();
    await runDispatcher(config);
    const a1 = await smtp.waitFor((m) => to(m).includes("it-nt-a1@interim.test"));
    expect(a1.subject).toContain("Approval needed");
    expect(a1.text).toContain(`/inbox?request=${r.requestId}`);
    expect(a1.text).toContain("level 1 of 2");
    expect(smtp.mails.some((m) => to(m).includes("it-nt-a2@interim.test"))).toBe(true);
    // Level 2 is not asked yet; the requester got a confirmation.
    expect(smtp.mails.some((m) => to(m).includes("it-nt-b1@interim.test"))).toBe(false);
    expect(smtp.mails.some((m) => to(m).includes("it-nt-req@interim.test"))).toBe(true);

    await decide(u["it-nt-a1"], actorFor(u["it-nt-a1"]), { requestId: r.requestId, decision: "approve" });
    await runDispatcher(config);
    const b1 = await smtp.waitFor((m) => to(m).includes("it-nt-b1@interim.test"));
    expect(b1.text).toContain("level 2 of 2");
    expect(b1.text).toContain(`/inbox?request=${r.requestId}`);

    const d = await decide(u["it-nt-b1"], actorFor(u["it-nt-b1"]), { requestId: r.requestId, decision: "approve" });
    expect(await activateGrant(d.grantId!)).toBe("activated");
    await runDispatcher(config);
    const granted = await smtp.waitFor((m) => to(m).includes("it-nt-req@interim.test") && /active/i.test(m.subject ?? ""));
    expect(granted.text).toContain(`/roles?request=${r.requestId}`);
    // Every delivery went out, none twice.
    const all = await deliveries();
    expect(all.every((x) => x.state === "sent")).toBe(true);
    expect(new Set(all.map((x) => `${x.eventId}:${x.recipient}`)).size).toBe(all.length);
  });

  it("tells the requester about a denial with the approver's comment", async () => {
    await group({});
    const r = await ask();
    await decide(u["it-nt-a2"], actorFor(u["it-nt-a2"]), { requestId: r.requestId, decision: "deny", comment: "Not during the freeze" });
    await runDispatcher(config);
    const denied = await smtp.waitFor((m) => to(m).includes("it-nt-req@interim.test") && /denied/i.test(m.subject ?? ""));
    expect(denied.text).toContain("Not during the freeze");
  });

  it("alerts every approver of every level at once on an emergency", async () => {
    await group({});
    const r = await ask({ emergency: true });
    expect(r.status).toBe("approved");
    await runDispatcher(config);
    for (const sam of ["it-nt-a1", "it-nt-a2", "it-nt-b1"]) {
      const alert = await smtp.waitFor((m) => to(m).includes(`${sam}@interim.test`) && /emergency/i.test(m.subject ?? ""));
      expect(alert.text).toContain(`/inbox?request=${r.requestId}`);
    }
  });

  it("finds the address of an approver who never signed in in AD", async () => {
    await group({});
    // b1 has no users row (never signed in): the address comes from the directory's mail attribute.
    await db.delete(users).where(eq(users.id, u["it-nt-b1"].id));
    await ask({ emergency: true });
    await runDispatcher(config);
    await smtp.waitFor((m) => to(m).includes("it-nt-b1@interim.test") && /emergency/i.test(m.subject ?? ""));
  });

  it("sends only the events the group chose, and extra addresses get theirs", async () => {
    await group({ emailEvents: ["granted"], extraRecipients: ["soc@interim.test"], extraEvents: ["requested"] });
    await ask();
    await runDispatcher(config);
    await smtp.waitFor((m) => to(m).includes("soc@interim.test"));
    // No approval-needed mail (not chosen), no confirmation to the requester.
    expect(smtp.mails.filter((m) => !to(m).includes("soc@interim.test"))).toEqual([]);
  });

  it("warns before expiry with a link to extend", async () => {
    await group({}, false);
    const r = await ask();
    expect(await activateGrant(r.grantId!)).toBe("activated");
    // Run early (30 minutes left), the job queues itself again for ten minutes before the end.
    await db.execute(sql`delete from graphile_worker._private_jobs where key = ${jobKeys.warn(r.grantId!)}`);
    expect(await warnExpiring(r.grantId!)).toBe(false);
    const [g] = await db.select({ expiresAt: grants.expiresAt }).from(grants).where(eq(grants.id, r.grantId!));
    const [job] = await db.execute<{ run_at: string }>(sql`select run_at from graphile_worker.jobs where key = ${jobKeys.warn(r.grantId!)}`);
    expect(new Date(job!.run_at).getTime()).toBe(g!.expiresAt!.getTime() - 10 * 60_000);
    await db.execute(sql`update grants set expires_at = now() + interval '5 minutes' where id = ${r.grantId}`);
    expect(await warnExpiring(r.grantId!)).toBe(true);
    expect(await warnExpiring(r.grantId!)).toBe(false); // once per end
    await runDispatcher(config);
    const warning = await smtp.waitFor((m) => /expires/i.test(m.subject ?? ""));
    expect(warning.text).toContain(`/roles?extend=${r.grantId}`);
  });

  it("creates no email deliveries when SMTP is not configured", async () => {
    await group({});
    await ask();
    await runDispatcher({ ...config, smtpUrl: undefined });
    expect((await deliveries()).filter((d) => d.channel === "email")).toEqual([]);
    const [pending] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(notificationEvents)
      .where(sql`dispatched_at is null`);
    expect(pending!.n).toBe(0);
  });
});

describe("webhooks", () => {
  const hook = (name: string, kind: "generic" | "slack" | "teams", path: string, events: ("requested" | "granted" | "emergency" | "approval_needed")[]) => ({
    id: crypto.randomUUID(),
    name,
    kind,
    url: `${hooks.url}${path}`,
    events,
    enabled: true,
  });

  it("posts signed generic JSON, a Slack message and a Teams card for the chosen events", async () => {
    const { issuedSecrets } = await group({
      emailEvents: [],
      webhooks: [
        hook("SIEM", "generic", "/siem", ["requested", "emergency"]),
        hook("Slack", "slack", "/slack", ["emergency"]),
        hook("Teams", "teams", "/teams", ["emergency"]),
      ],
    });
    const r = await ask({ emergency: true });
    await runDispatcher(config);
    const generic = await hooks.waitFor((h) => h.path === "/siem" && (h.json as { type?: string }).type === "interim.emergency");
    const secret = issuedSecrets.find((s) => s.name === "SIEM")!.secret;
    const headers = { timestamp: generic.headers["x-interim-timestamp"] as string, signature: generic.headers["x-interim-signature"] as string };
    expect(verifyDelivery(secret, generic.body, headers)).toBe(true);
    expect(generic.json).toMatchObject({ request: { id: r.requestId, emergency: true, privilege: "NT Privilege" } });
    const slack = await hooks.waitFor((h) => h.path === "/slack");
    expect(slack.json).toMatchObject({ text: expect.stringMatching(/emergency/i), blocks: expect.any(Array) });
    const teams = await hooks.waitFor((h) => h.path === "/teams");
    expect(teams.json).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive" }] });
    expect(hooks.requests.filter((h) => h.path === "/siem")).toHaveLength(2); // requested + emergency
  });

  it("retries a failing webhook with backoff, never blocking the grant, and gives up audited", async () => {
    await group({ emailEvents: [], webhooks: [hook("Down", "generic", "/down", ["requested", "granted"])] }, false);
    hooks.respondWith(503, "maintenance");
    const r = await ask();
    expect(await activateGrant(r.grantId!)).toBe("activated");
    const [g] = await db.select().from(grants).where(eq(grants.id, r.grantId!));
    expect(g!.state).toBe("active");

    await runDispatcher(config);
    let rows = await deliveries();
    expect(rows).toHaveLength(2);
    expect(rows.every((d) => d.state === "queued" && d.attempts === 1 && d.lastError === "HTTP 503")).toBe(true);
    expect(rows.every((d) => !d.lastError!.includes("/down"))).toBe(true); // no URL path (secrets) in errors
    expect(rows[0]!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 2_000);

    // Due again: the second attempt fails too; the third (maxAttempts) gives up.
    for (let attempt = 2; attempt <= 3; attempt++) {
      await db.update(notificationDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1000) });
      await runDispatcher(config);
    }
    rows = await deliveries();
    expect(rows.map((d) => [d.state, d.attempts])).toEqual([
      ["failed", 3],
      ["failed", 3],
    ]);
    const audited = await db.select().from(auditEvents).where(eq(auditEvents.action, "notification.failed"));
    expect(audited).toHaveLength(2);

    // A channel that recovers delivers the next event at the first attempt.
    hooks.respondWith(204);
    await ask().catch(() => undefined); // already active: refused, no event
    await db.update(grants).set({ state: "revoked" }).where(eq(grants.id, r.grantId!));
    await ask();
    await runDispatcher(config);
    const sent = await db
      .select()
      .from(notificationDeliveries)
      .where(and(eq(notificationDeliveries.state, "sent"), eq(notificationDeliveries.channel, "webhook")));
    expect(sent).toHaveLength(1);
  });

  it("retakes a delivery whose sender died mid-send, not one being sent now", async () => {
    await group({ emailEvents: ["requested"] }, false);
    await ask();
    await dispatchEvents(config);
    const [d] = await deliveries();
    // A worker claimed it and died (its lease lapsed) …
    await db
      .update(notificationDeliveries)
      .set({ state: "sending", claimedAt: new Date(Date.now() - 10 * 60_000), attempts: 1 })
      .where(eq(notificationDeliveries.id, d!.id));
    expect((await deliverDue(config)).sent).toBe(1);
    expect((await deliveries())[0]).toMatchObject({ state: "sent", attempts: 2 });
    // … while a fresh claim belongs to a live sender and is left alone.
    await db.update(notificationDeliveries).set({ state: "sending", claimedAt: new Date(), attempts: 1 }).where(eq(notificationDeliveries.id, d!.id));
    expect((await deliverDue(config)).sent).toBe(0);
  });

  it("touches no shared row in business transactions, runs one dispatcher at a time, and sees retries when they are due", async () => {
    await group({ emailEvents: [], webhooks: [hook("Flaky", "generic", "/flaky", ["requested"])] }, false);
    hooks.respondWith(500);
    await ask();
    // The request's transaction wrote an outbox row and queued no dispatcher job (a shared keyed
    // job row, locked by every such transaction, deadlocked with the audit lock).
    const jobs = await db.execute(sql`select 1 from graphile_worker.jobs where task_identifier = 'notifications__dispatch'`);
    expect(jobs).toHaveLength(0);
    expect(await notificationsPending()).toBe(true);

    // Another dispatcher holds the lock: this run steps aside and leaves the event to it.
    const aside = await withSessionLock(DISPATCH_LOCK, () => runDispatcherExclusive(config));
    expect(aside).toEqual({ ran: true, value: null });
    expect(await deliveries()).toEqual([]);

    expect(await runDispatcherExclusive(config)).toMatchObject({ events: 1, retried: 1 });
    // The retry is not due yet; when its time comes the poller sees it.
    expect(await notificationsPending()).toBe(false);
    await db.update(notificationDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1000) });
    expect(await notificationsPending()).toBe(true);
  });

  it("steps back while more urgent work needs the machine (an expiry sweep), and the next run sends everything", async () => {
    await group({ emailEvents: ["requested"] }, false);
    await ask();
    let sweeping = true;
    expect(await runDispatcherExclusive(config, () => sweeping)).toMatchObject({ events: 0, deliveries: 0, sent: 0 });
    expect(await deliveries()).toEqual([]);
    expect(await notificationsPending()).toBe(true);

    sweeping = false;
    expect(await runDispatcherExclusive(config, () => sweeping)).toMatchObject({ events: 1, deliveries: 1, sent: 1 });
    expect(await notificationsPending()).toBe(false);
    await smtp.waitFor((m) => to(m).includes("it-nt-req@interim.test"));
  });

  it("recovers a delivery whose mail server refused it temporarily", async () => {
    await group({ emailEvents: ["requested"] }, false);
    smtp.failNext(1);
    await ask();
    await runDispatcher(config);
    const [first] = await deliveries();
    expect(first).toMatchObject({ state: "queued", attempts: 1 });
    await db.update(notificationDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1000) });
    await runDispatcher(config);
    const [second] = await deliveries();
    expect(second).toMatchObject({ state: "sent", attempts: 2 });
    await smtp.waitFor((m) => to(m).includes("it-nt-req@interim.test"));
  });
});
