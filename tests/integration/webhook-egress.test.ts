import type { Client } from "ldapts";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, notificationDeliveries, webhookSecrets } from "@/db/schema";
import { listDeliveries } from "@/server/access-groups/deliveries";
import { updateNotifications } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { resetEnvForTests } from "@/server/env";
import { runDispatcher, type DispatcherConfig } from "@/server/notifications/dispatch";
import type { Resolver } from "@/server/notifications/transport";
import { rotateWebhookSecret } from "@/server/notifications/webhook-secrets";
import { submitRequest } from "@/server/requests/service";
import { startWebhookSink, type WebhookSink } from "@/tests/support/webhook-sink";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  localUser,
  publishNamed,
  resetDatabase,
  trpcHttp,
} from "./fixtures";

/*
 * Issue 13 item 6: a webhook cannot be aimed inside the network. Refused at save under its field,
 * refused again at send after resolving the name (the connection goes to the address that was
 * checked, so an answer that changes in between is never used), allowed only for receivers the
 * operator lists; errors say a status or a fixed phrase, never the receiver's words; every delivery
 * is signed with the webhook's own secret, which the tab shows once.
 */

const REQUESTER = "it-we-req";
/** A name that no DNS answers (.example is reserved): only the test's resolver knows it. */
const PARTNER = "hooks.partner.example";
const savedAllow = process.env.INTERIM_WEBHOOK_ALLOW;
let ad: Client;
let admin: SessionUser;
let requester: SessionUser;
let privilegeId: string;
let sink: WebhookSink;

function allowAtSave(value: string) {
  process.env.INTERIM_WEBHOOK_ALLOW = value;
  resetEnvForTests();
}

const config = (extra: Partial<DispatcherConfig> = {}): DispatcherConfig => ({
  smtpUrl: undefined,
  from: "Interim <interim@interim.test>",
  webhookTimeoutMs: 2_000,
  webhookAllow: [],
  maxAttempts: 3,
  ...extra,
});

beforeAll(async () => {
  ad = await adminClient();
  await ensureAdUser(ad, REQUESTER);
  sink = await startWebhookSink();
});
beforeEach(async () => {
  await ensureAdGroup(ad, "it-we-priv");
  await resetDatabase();
  sink.requests.length = 0;
  sink.respondWith(204);
  sink.verifyWith(null);
  allowAtSave("");
  admin = await localUser("carol", true);
  requester = await localUser(REQUESTER);
  privilegeId = (await publishNamed(admin, "it-we-priv", "WE Privilege")).id;
});
afterAll(async () => {
  if (savedAllow === undefined) delete process.env.INTERIM_WEBHOOK_ALLOW;
  else process.env.INTERIM_WEBHOOK_ALLOW = savedAllow;
  resetEnvForTests();
  await sink.close();
  await ad.unbind();
});

async function groupWithWebhook(url: string) {
  const g = await configuredAccessGroup(admin, {
    name: "it-we group",
    settings: { requiresApproval: false, autoGrantOnProvisioning: true },
    members: [await directoryGuid(REQUESTER)],
  });
  const webhook = { id: crypto.randomUUID(), name: "Receiver", kind: "generic" as const, url, events: ["requested" as const], enabled: true };
  const saved = await updateNotifications(admin, actorFor(admin), { id: g.id, version: g.version, notifications: { emailEvents: [], webhooks: [webhook] } });
  return { group: saved, webhook };
}

const ask = () => submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 30, justification: "webhook egress test" });

async function onlyDelivery() {
  const rows = await db.select().from(notificationDeliveries).where(eq(notificationDeliveries.channel, "webhook"));
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe("at save", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is metadata"],
    ["http://127.0.0.1:5432/", "address 127.0.0.1 is loopback"],
    ["http://0x7f.1/", "address 127.0.0.1 is loopback"],
    ["http://[::ffff:10.0.0.5]/", "address ::ffff:a00:5 carries 10.0.0.5, which is private"],
    ["http://localhost:8080/", "localhost is a loopback name"],
  ])("refuses %s under the URL field", async (url, reason) => {
    const g = await configuredAccessGroup(admin, { name: "it-we save" });
    const webhook = { id: crypto.randomUUID(), name: "Probe", kind: "generic", url, events: ["requested"], enabled: true };
    const result = await trpcHttp(admin, "accessGroups.notifications.update", {
      id: g.id,
      version: g.version,
      notifications: { emailEvents: [], webhooks: [webhook] },
    });
    expect(result.ok).toBe(false);
    const messages = result.ok ? [] : (result.fieldErrors?.["notifications.webhooks.0.url"] ?? []);
    expect(messages).toEqual([expect.stringContaining(`Interim does not post to this address: ${reason}`)]);
    expect(await db.select().from(webhookSecrets)).toEqual([]);
  });

  it("accepts an internal receiver the operator allows", async () => {
    allowAtSave("127.0.0.1");
    const { group } = await groupWithWebhook(`${sink.url}/hook`);
    expect(group.notifications.webhooks).toHaveLength(1);
  });
});

describe("at send", () => {
  it("refuses a name that resolves inside the network, though it looked public when saved", async () => {
    await groupWithWebhook(`http://${PARTNER}:${sink.port}/hook`);
    await ask();
    const resolve: Resolver = async (name) => (name === PARTNER ? [{ address: "127.0.0.1", family: 4 }] : []);
    await runDispatcher(config({ resolve }));

    const d = await onlyDelivery();
    expect(d.lastError).toBe("refused: address 127.0.0.1 is loopback");
    expect(sink.requests).toEqual([]);
  });

  it("resolves once and connects to the address it checked: a second, different answer (rebinding) is never asked for", async () => {
    await groupWithWebhook(`http://${PARTNER}:${sink.port}/hook`);
    await ask();
    const answers: string[] = [];
    // First answer: the allowed receiver; any later one would be the attacker's.
    const resolve: Resolver = async () => {
      const address = answers.length === 0 ? "127.0.0.1" : "10.66.66.66";
      answers.push(address);
      return [{ address, family: 4 }];
    };
    await runDispatcher(config({ resolve, webhookAllow: ["127.0.0.1"] }));

    expect(answers).toEqual(["127.0.0.1"]);
    expect((await onlyDelivery()).state).toBe("sent");
    expect(sink.requests.map((r) => r.path)).toEqual(["/hook"]);
    expect(sink.requests[0]!.headers.host).toBe(`${PARTNER}:${sink.port}`);
  });
});

describe("signed deliveries", () => {
  it("issues a secret once, signs with it (the receiver verifies), and a rotation (audited) replaces it", async () => {
    allowAtSave("127.0.0.1");
    const { group, webhook } = await groupWithWebhook(`${sink.url}/hook`);
    expect(group.issuedSecrets).toEqual([{ webhookId: webhook.id, name: "Receiver", secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) }]);
    const first = group.issuedSecrets[0]!.secret;

    // Never read back: not by the tab's read, not in the database in clear.
    const read = await trpcHttp(admin, "accessGroups.notifications.get", { id: group.id }, { query: true });
    expect(read.ok).toBe(true);
    expect(JSON.stringify(read)).not.toContain(first);
    expect(JSON.stringify(await db.select().from(webhookSecrets))).not.toContain(first);
    // A second save keeps the secret and issues none.
    const again = await updateNotifications(admin, actorFor(admin), { id: group.id, version: group.version, notifications: group.notifications });
    expect(again.issuedSecrets).toEqual([]);

    sink.verifyWith(first);
    await ask();
    await runDispatcher(config({ webhookAllow: ["127.0.0.1"] }));
    const received = await sink.waitFor((r) => r.path === "/hook");
    expect(received.verified).toBe(true);
    expect(received.headers["x-interim-delivery"]).toBe((await onlyDelivery()).id);

    const rotated = await rotateWebhookSecret(admin, actorFor(admin), { id: group.id, webhookId: webhook.id });
    expect(rotated.secret).not.toBe(first);
    const audited = await db.select().from(auditEvents).where(eq(auditEvents.action, "access_group.webhook_secret_issued"));
    expect(audited.map((a) => (a.data as { reason: string }).reason).sort()).toEqual(["created", "rotated"]);

    // Sent again (as a retry would be), it is signed with the new secret: a receiver still on the old one refuses it.
    const resend = () => db.update(notificationDeliveries).set({ state: "queued", nextAttemptAt: new Date(Date.now() - 1000) });
    sink.requests.length = 0;
    await resend();
    await runDispatcher(config({ webhookAllow: ["127.0.0.1"] }));
    expect((await sink.waitFor((r) => r.path === "/hook")).verified).toBe(false);
    sink.verifyWith(rotated.secret);
    sink.requests.length = 0;
    await resend();
    await runDispatcher(config({ webhookAllow: ["127.0.0.1"] }));
    expect((await sink.waitFor((r) => r.path === "/hook")).verified).toBe(true);
  });
});

describe("errors", () => {
  it("keeps and shows the status of a failed delivery, never the receiver's body", async () => {
    allowAtSave("127.0.0.1");
    const { group } = await groupWithWebhook(`${sink.url}/hook`);
    sink.respondWith(500, "FATAL: password authentication failed for user postgres at 10.1.2.3");
    await ask();
    await runDispatcher(config({ webhookAllow: ["127.0.0.1"] }));

    expect((await onlyDelivery()).lastError).toBe("HTTP 500");
    const shown = await listDeliveries(admin, group.id);
    expect(shown.map((d) => d.lastError)).toEqual(["HTTP 500"]);
    expect(JSON.stringify(shown)).not.toMatch(/FATAL|postgres|10\.1\.2\.3/);
  });
});
