import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditChainAlerts, auditEvents } from "@/db/schema";
import { updateNotifications } from "@/server/access-groups/service";
import { signingKey } from "@/server/audit/checkpoints-key";
import { resetEnvForTests } from "@/server/env";
import { checkSignature } from "@/server/audit/checkpoints-sign";
import { startSmtpSink, type SmtpSink } from "@/tests/support/smtp-sink";
import { startWebhookSink, type WebhookSink } from "@/tests/support/webhook-sink";
import { appendForged, rewriteFrom, tamper } from "../support/audit-tamper";
import { actorFor, configuredAccessGroup, localUser, resetDatabase, trpcHttp, waitFor } from "./fixtures";
import { startWorker, type WorkerHandle } from "./worker-process";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR } from "@/server/audit/events";

/*
 * The worker's anchoring, with the real worker process (intervals shortened by env): it signs
 * checkpoints into the file and the trail, and a broken link or a rewrite behind its cursor becomes
 * an alert once — a row, an audit event, a mail to the admins and a security-alert webhook — which
 * an admin acknowledges.
 */

const dir = mkdtempSync(path.join(tmpdir(), "anchor-watch-"));
const file = path.join(dir, "checkpoints.jsonl");
const ownerUrl = process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL!;
let smtp: SmtpSink;
let hooks: WebhookSink;
let worker: WorkerHandle | undefined;

const alerts = () => db.select().from(auditChainAlerts).orderBy(auditChainAlerts.firstSeenAt);
const brokenEvents = () => db.select({ data: auditEvents.data }).from(auditEvents).where(eq(auditEvents.action, "audit.chain_broken"));

const savedAllow = process.env.INTERIM_WEBHOOK_ALLOW;

beforeAll(async () => {
  [smtp, hooks] = await Promise.all([startSmtpSink(), startWebhookSink()]);
  // The webhook sink is on loopback: allowed here as in the worker's env.
  process.env.INTERIM_WEBHOOK_ALLOW = "127.0.0.1";
  resetEnvForTests();
});
afterAll(async () => {
  if (savedAllow === undefined) delete process.env.INTERIM_WEBHOOK_ALLOW;
  else process.env.INTERIM_WEBHOOK_ALLOW = savedAllow;
  resetEnvForTests();
  await worker?.kill("SIGKILL");
  await Promise.all([smtp.close(), hooks.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("the worker anchors the audit chain", () => {
  it("signs checkpoints; a broken link raises one alert (row, event, mail, webhook) within a minute; an admin acknowledges it", async () => {
    await resetDatabase();
    const carol = await localUser("carol", true);
    const group = await configuredAccessGroup(carol, { name: "anchor-watch" });
    const hook = { id: crypto.randomUUID(), name: "SOC", kind: "generic" as const, url: `${hooks.url}/soc`, events: ["session_alert" as const], enabled: true };
    await updateNotifications(carol, actorFor(carol), { id: group.id, version: group.version, notifications: { emailEvents: [], webhooks: [hook] } });
    for (let i = 0; i < 3; i++)
      await db.transaction((tx) =>
        recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.cancelled", targetType: "grant", targetId: `w-${i}`, data: { reason: `${i}` } }]),
      );

    worker = await startWorker({
      AUDIT_WATCH_INTERVAL_MS: "300",
      AUDIT_CHECKPOINT_INTERVAL_MS: "500",
      AUDIT_CHECKPOINT_FILE: file,
      SMTP_URL: smtp.url,
      INTERIM_WEBHOOK_ALLOW: "127.0.0.1",
    });
    // A checkpoint of the head, in the file (signed with the configured key) and in the trail.
    await waitFor("a checkpoint in the trail", async () => (await db.$count(auditEvents, eq(auditEvents.action, "audit.checkpoint"))) > 0, 30_000);
    const line = JSON.parse(readFileSync(file, "utf8").trim().split("\n")[0]!) as unknown;
    expect(checkSignature(signingKey().publicKey, line)).toMatchObject({ verdict: "valid" });
    const [cpEvent] = await db.select({ data: auditEvents.data }).from(auditEvents).where(eq(auditEvents.action, "audit.checkpoint"));
    expect(cpEvent!.data).toEqual(line);

    // A forged row that does not link to the one before it.
    const forged = await appendForged(ownerUrl);
    await waitFor("the broken link's alerts", async () => (await alerts()).length >= 2, 60_000, 200);
    expect((await alerts()).map((a) => a.key).sort()).toEqual([`chain-broken-link:${forged}`, `chain-hash-mismatch:${forged}`]);
    const mail = await smtp.waitFor((m) => /tampered/.test(m.subject ?? "") && m.text!.includes(`#${forged}`), 30_000);
    expect(mail.to).toMatchObject({ text: "carol@interim.test" });
    const posted = await hooks.waitFor((h) => h.path === "/soc", 30_000);
    expect(posted.json).toMatchObject({ type: "interim.audit_chain_broken", seq: forged });

    // Once per worker process: later passes see the same problem and raise nothing new (a restart raises it again).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await alerts()).toHaveLength(2);
    expect(await brokenEvents()).toHaveLength(2);
    expect(smtp.mails.filter((m) => /tampered/.test(m.subject ?? ""))).toHaveLength(2);

    // The banner's list; acknowledging needs a note, is admin-only, and is audited.
    const dave = await localUser("dave");
    expect(await trpcHttp(dave, "auditChain.open", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    const open = await trpcHttp(carol, "auditChain.open", undefined, { query: true });
    expect(open).toMatchObject({ ok: true });
    const first = (open as { data: { id: string }[] }).data[0]!;
    expect(await trpcHttp(carol, "auditChain.acknowledge", { id: first.id, note: " " })).toMatchObject({ ok: false, fieldErrors: { note: expect.any(Array) } });
    expect(await trpcHttp(carol, "auditChain.acknowledge", { id: first.id, note: "forged row found, DBA access revoked" })).toMatchObject({ ok: true });
    expect(await trpcHttp(carol, "auditChain.open", undefined, { query: true })).toMatchObject({ ok: true, data: [expect.anything()] });
    const [ack] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "audit.chain_alert_acknowledged"), eq(auditEvents.targetId, first.id)));
    expect(ack).toMatchObject({ actorName: "carol", data: { note: "forged row found, DBA access revoked" } });
  }, 120_000);

  it("a rewrite behind the cursor, every hash recomputed, is seen at the newest checkpoint", async () => {
    const [cp] = await db.execute<{ seq: number }>(
      sql`select (data->>'seq')::int as seq from audit_events where action = 'audit.checkpoint' order by seq desc limit 1`,
    );
    await tamper(ownerUrl, (tx) => rewriteFrom(tx, 2));
    await waitFor("the rewrite's alert", async () => (await alerts()).some((a) => a.key === `checkpoint-hash-mismatch:${cp!.seq}`), 60_000, 200);
    // The newest checkpoint keeps disagreeing on every pass: still one alert, one event.
    await new Promise((r) => setTimeout(r, 1_500));
    const problems = (await brokenEvents()).map((e) => (e.data as { problem: string }).problem);
    expect(problems.filter((p) => p === "checkpoint-hash-mismatch")).toHaveLength(1);
  }, 90_000);

  it("in production without a signing key the worker refuses to start, saying what to set", async () => {
    await worker?.kill("SIGKILL");
    worker = undefined;
    const noKey = { NODE_ENV: "production", AUDIT_SIGNING_KEY: undefined, AUDIT_SIGNING_KEY_FILE: undefined } as unknown as Record<string, string>;
    await expect(startWorker(noKey)).rejects.toThrow(/worker exited \(1\)[\s\S]*no audit signing key: set AUDIT_SIGNING_KEY_FILE/);
  }, 60_000);
});
