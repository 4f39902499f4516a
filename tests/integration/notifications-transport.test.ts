import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NotificationFacts } from "@/server/notifications/facts";
import { renderEmail } from "@/server/notifications/render";
import { renderWebhook } from "@/server/notifications/render-webhook";
import { closeTransports, postWebhook, sendEmail, verifySignature } from "@/server/notifications/transport";
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
  const config = { timeoutMs: 2_000, signingSecret: SECRET };

  beforeAll(async () => {
    sink = await startWebhookSink();
  });
  afterEach(() => {
    sink.respondWith(204);
    sink.hang(false);
  });
  afterAll(async () => {
    await sink.close();
  });

  it("posts a signed generic document that verifySignature accepts, and refuses once tampered", async () => {
    const { body } = renderWebhook(facts, "generic");
    const result = await postWebhook(config, { kind: "generic", url: `${sink.url}/hooks/generic` }, body);
    expect(result).toEqual({ status: 204 });

    const received = await sink.waitFor((r) => r.path === "/hooks/generic");
    expect(received.method).toBe("POST");
    expect(received.headers["content-type"]).toBe("application/json");
    expect(received.headers["user-agent"]).toBe("Interim");
    expect(received.json).toEqual(body);
    expect(received.headers["x-interim-timestamp"]).toEqual(expect.any(String));
    const signature = received.headers["x-interim-signature"];
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, received.body, signature as string)).toBe(true);
    expect(verifySignature(SECRET, received.body.replace("alice", "mallory"), signature as string)).toBe(false);
    expect(verifySignature("another-secret-0123456789", received.body, signature as string)).toBe(false);
    expect(verifySignature(SECRET, received.body, undefined)).toBe(false);
  });

  it("does not sign Slack payloads, nor generic ones without a secret", async () => {
    await postWebhook(config, { kind: "slack", url: `${sink.url}/hooks/slack` }, renderWebhook(facts, "slack").body);
    await postWebhook({ timeoutMs: 2_000 }, { kind: "generic", url: `${sink.url}/hooks/unsigned` }, { ok: true });
    const slack = await sink.waitFor((r) => r.path === "/hooks/slack");
    const unsigned = await sink.waitFor((r) => r.path === "/hooks/unsigned");
    expect(slack.headers["x-interim-signature"]).toBeUndefined();
    expect(unsigned.headers["x-interim-signature"]).toBeUndefined();
    expect(slack.json).toMatchObject({ text: "Approval needed: alice requests Domain Admins (60 min)" });
  });

  it("throws on a 500 with the status and the body, never the URL's path or query", async () => {
    sink.respondWith(500, `boom ${"x".repeat(500)}`);
    const url = `${sink.url}/services/T000/B000/SECRETTOKEN?key=hidden`;
    const error = await postWebhook(config, { kind: "slack", url }, { text: "hi" }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain("500");
    expect(error!.message).toContain("boom");
    expect(error!.message).toContain(sink.url);
    expect(error!.message).not.toMatch(/SECRETTOKEN|hidden|services/);
    expect(error!.message.length).toBeLessThan(300);
  });

  it("throws when the receiver does not answer in time", async () => {
    sink.hang();
    const started = Date.now();
    await expect(postWebhook({ timeoutMs: 300 }, { kind: "teams", url: `${sink.url}/hooks/slow/SECRET` }, renderWebhook(facts, "teams").body)).rejects.toThrow(
      /did not answer within 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("throws when nothing listens, naming the origin only", async () => {
    const port = await freePort();
    const error = await postWebhook(config, { kind: "generic", url: `http://127.0.0.1:${port}/hooks/SECRET` }, {}).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(new RegExp(`^Webhook http://127\\.0\\.0\\.1:${port} unreachable: .*ECONNREFUSED`));
    expect(error?.message).not.toContain("SECRET");
  });

  it("refuses to follow a redirect", async () => {
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
      await expect(postWebhook(config, { kind: "generic", url: `http://127.0.0.1:${port}/hook` }, {})).rejects.toThrow(/unreachable/);
      expect(sink.requests.some((r) => r.path === "/hooks/redirected")).toBe(false);
    } finally {
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });
});
