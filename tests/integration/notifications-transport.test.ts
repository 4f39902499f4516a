import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NotificationFacts } from "@/server/notifications/facts";
import { renderEmail } from "@/server/notifications/render";
import { renderWebhook } from "@/server/notifications/render-webhook";
import { EMPTY_ALLOW_LIST, parseAllowList } from "@/server/notifications/egress-policy";
import { signDelivery, verifyDelivery } from "@/server/notifications/signing";
import { closeTransports, postWebhook, sendEmail } from "@/server/notifications/transport";
import { startSmtpSink, type SmtpSink } from "@/tests/support/smtp-sink";
import { startWebhookSink, type WebhookSink } from "@/tests/support/webhook-sink";

/* Real SMTP and HTTP over loopback; needs neither the database nor the directory. */

const SECRET = "test-signing-secret-0123456789";
const FROM = "Interim <interim@example.test>";

const facts: NotificationFacts = {
  event: "approval_needed",
  occurredAt: "2026-11-23T12:55:00.000Z",
  requestId: "req-transport",
  grantId: null,
  requestKind: "access",
  requester: { username: "alice", displayName: "Alice Martin" },
  privilege: "Domain Admins",
  groupDn: "CN=Domain Admins,CN=Users,DC=corp,DC=example",
  account: null,
  accessGroup: "Tier 0",
  durationMinutes: 60,
  justification: "Patch <the> DCs & reboot",
  changeId: null,
  governanceCode: null,
  emergency: false,
  outsideUsualHours: false,
  level: { current: 1, of: 1 },
  comment: null,
  actor: null,
  startsAt: null,
  expiresAt: null,
  error: null,
  timeZone: "Europe/Paris",
  links: {
    decision: "https://interim.example.test/inbox/req-transport",
    extend: null,
    myAccess: "https://interim.example.test/my-access",
  },
};

/** A TCP port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("sendEmail over SMTP", () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    closeTransports();
    await sink.close();
  });

  it("delivers the subject, text with its link, HTML and From", async () => {
    const message = renderEmail(facts, "approver");
    await sendEmail({ smtpUrl: sink.url, from: FROM }, "bob@example.test", message);

    const mail = await sink.waitFor((m) => m.subject === message.subject);
    expect(mail.subject).toBe("[Interim] Approval needed: alice requests Domain Admins (60 min)");
    expect(mail.from?.value).toEqual([{ address: "interim@example.test", name: "Interim" }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual(["bob@example.test"]);
    expect(mail.text?.split(/\r?\n/)).toContain(facts.links.decision);
    expect(mail.text).toContain("Patch <the> DCs & reboot");
    expect(mail.html).toContain(`href="${facts.links.decision}"`);
    expect(mail.html).toContain("Patch &lt;the&gt; DCs &amp; reboot");
  });

  it("rejects when the server refuses the message, and delivers on the next try", async () => {
    sink.failNext(1);
    const message = { ...renderEmail(facts, "requester"), subject: "[Interim] retry me" };
    await expect(sendEmail({ smtpUrl: sink.url, from: FROM }, "alice@example.test", message)).rejects.toThrow(/451/);
    expect(sink.mails.some((m) => m.subject === "[Interim] retry me")).toBe(false);

    await sendEmail({ smtpUrl: sink.url, from: FROM }, "alice@example.test", message);
    await expect(sink.waitFor((m) => m.subject === "[Interim] retry me")).resolves.toBeDefined();
  });

  it("rejects when no server listens", async () => {
    const port = await freePort();
    await expect(sendEmail({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM }, "alice@example.test", renderEmail(facts, "requester"))).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

describe("postWebhook", () => {
  let sink: WebhookSink;
  // The sink is on loopback: allowed as an internal receiver, as INTERIM_WEBHOOK_ALLOW would.
  const config = { timeoutMs: 2_000, allow: parseAllowList(["127.0.0.1"]) };
  const signing = (deliveryId: string) => ({ deliveryId, secret: SECRET });

  beforeAll(async () => {
    sink = await startWebhookSink();
  });
  afterEach(() => {
    sink.respondWith(204);
    sink.hang(false);
    sink.verifyWith(null);
  });
  afterAll(async () => {
    await sink.close();
  });

  it("signs timestamp and body with the webhook's secret; the receiver's check passes, and fails once tampered, replayed or old", async () => {
    sink.verifyWith(SECRET);
    const { body } = renderWebhook(facts, "generic");
    const result = await postWebhook(config, { kind: "generic", url: `${sink.url}/hooks/generic` }, body, signing("d-1"));
    expect(result).toEqual({ status: 204 });

    const received = await sink.waitFor((r) => r.path === "/hooks/generic");
    expect(received.verified).toBe(true);
    expect(received.method).toBe("POST");
    expect(received.headers["content-type"]).toBe("application/json");
    expect(received.headers["user-agent"]).toBe("Interim");
    expect(received.headers["x-interim-delivery"]).toBe("d-1");
    expect(received.json).toEqual(body);
    const timestamp = received.headers["x-interim-timestamp"] as string;
    const signature = received.headers["x-interim-signature"] as string;
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyDelivery(SECRET, received.body, { timestamp, signature })).toBe(true);
    expect(verifyDelivery(SECRET, received.body.replace("alice", "mallory"), { timestamp, signature })).toBe(false);
    expect(verifyDelivery("another-secret-0123456789", received.body, { timestamp, signature })).toBe(false);
    expect(verifyDelivery(SECRET, received.body, { timestamp, signature }, Number(timestamp) + 301)).toBe(false);

    // The same request again (a replay) and one signed six minutes ago: the receiver refuses both.
    const replay = await fetch(`${sink.url}/hooks/generic`, { method: "POST", headers: received.headers as Record<string, string>, body: received.body });
    expect(replay.status).toBe(401);
    const old = Math.floor(Date.now() / 1000) - 360;
    const stale = await fetch(`${sink.url}/hooks/generic`, {
      method: "POST",
      headers: { "x-interim-delivery": "d-2", "x-interim-timestamp": String(old), "x-interim-signature": signDelivery(SECRET, old, received.body) },
      body: received.body,
    });
    expect(stale.status).toBe(401);
  });

  it("signs Slack payloads too, and sends a webhook saved before secrets existed unsigned", async () => {
    await postWebhook(config, { kind: "slack", url: `${sink.url}/hooks/slack` }, renderWebhook(facts, "slack").body, signing("d-3"));
    await postWebhook(config, { kind: "generic", url: `${sink.url}/hooks/unsigned` }, { ok: true }, { deliveryId: "d-4", secret: null });
    const slack = await sink.waitFor((r) => r.path === "/hooks/slack");
    const unsigned = await sink.waitFor((r) => r.path === "/hooks/unsigned");
    expect(slack.headers["x-interim-signature"]).toMatch(/^v1=/);
    expect(unsigned.headers["x-interim-signature"]).toBeUndefined();
    expect(unsigned.headers["x-interim-delivery"]).toBe("d-4");
    expect(slack.json).toMatchObject({ text: "Approval needed: alice requests Domain Admins (60 min)" });
  });

  it("says HTTP 500 and nothing of the receiver's body or the URL", async () => {
    sink.respondWith(500, `boom: password=hunter2 at db.internal:5432 ${"x".repeat(500)}`);
    const url = `${sink.url}/services/T000/B000/SECRETTOKEN?key=hidden`;
    await expect(postWebhook(config, { kind: "slack", url }, { text: "hi" })).rejects.toThrow(/^HTTP 500$/);
  });

  it("says timed out when the receiver does not answer in time", async () => {
    sink.hang();
    const started = Date.now();
    await expect(
      postWebhook({ ...config, timeoutMs: 300 }, { kind: "teams", url: `${sink.url}/hooks/slow/SECRET` }, renderWebhook(facts, "teams").body),
    ).rejects.toThrow(/^timed out after 300 ms$/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("says connection refused when nothing listens", async () => {
    const port = await freePort();
    await expect(postWebhook(config, { kind: "generic", url: `http://127.0.0.1:${port}/hooks/SECRET` }, {})).rejects.toThrow(/^connection refused$/);
  });

  it("refuses loopback unless allowed, before any connection", async () => {
    await expect(postWebhook({ timeoutMs: 2_000, allow: EMPTY_ALLOW_LIST }, { kind: "generic", url: `${sink.url}/hooks/unlisted` }, {})).rejects.toThrow(
      /^refused: address 127\.0\.0\.1 is loopback$/,
    );
    expect(sink.requests.some((r) => r.path === "/hooks/unlisted")).toBe(false);
  });

  it("does not follow a redirect", async () => {
    const redirector: Server = await new Promise((resolve) => {
      const server = createServer((socket) => {
        socket.once("data", () => {
          socket.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${sink.url}/hooks/redirected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        });
      });
      server.listen(0, "127.0.0.1", () => resolve(server));
    });
    const { port } = redirector.address() as AddressInfo;
    try {
      await expect(postWebhook(config, { kind: "generic", url: `http://127.0.0.1:${port}/hook` }, {})).rejects.toThrow(
        /^HTTP 307 \(redirects are not followed\)$/,
      );
      expect(sink.requests.some((r) => r.path === "/hooks/redirected")).toBe(false);
    } finally {
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });
});
