import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import type { AuditActor, AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import type { SessionUser } from "@/server/auth/permissions";
import { resetEnvForTests } from "@/server/env";
import { siemConfigFromEnv, type SiemConfig } from "@/server/siem/config";
import { startSiemExport, type SiemExport } from "@/server/siem/exporter";
import { siemStatus } from "@/server/siem/status";
import { makeCa, startRsyslog, type Rsyslog } from "../support/rsyslog";
import { parseCef, parseSyslog, seqOf } from "../support/siem-parse";
import { localUser, resetDatabase, trpcHttp, waitFor } from "./fixtures";
import { startWorker } from "./worker-process";

/*
 * Issue 16: the audit trail streamed to a real rsyslog on loopback (tests/support/rsyslog.ts), as
 * RFC 5424 with JSON or CEF, over TCP and TLS; at least once and in order through a receiver
 * outage and exporter restarts; a TLS receiver whose certificate the CA file does not vouch for
 * gets nothing.
 */

const log = pino({ level: process.env.SIEM_TEST_LOG ?? "silent" });
const admin: SessionUser = { id: randomUUID(), username: "siem-admin", dn: "", displayName: "SIEM admin", isAdmin: true };
const awkward = `pipe | equals = backslash \\ newline\nCR\r quote " é 漢字`;
const actor: AuditActor = { type: "user", id: randomUUID(), name: `carol ${awkward}`, ip: "192.0.2.7", userAgent: `agent ${awkward}` };

let receivers: Rsyslog[] = [];
let exporters: SiemExport[] = [];

async function receiver(opts: { tls?: boolean } = {}) {
  const r = await startRsyslog(opts);
  receivers.push(r);
  return r;
}

function exporter(config: SiemConfig, standbyMs = 100) {
  const e = startSiemExport(log, config, { standbyMs });
  exporters.push(e);
  return e;
}

const quick = (r: Rsyslog, over: Partial<SiemConfig> = {}): SiemConfig => ({
  target: { host: "127.0.0.1", port: r.port, tls: false },
  format: "json",
  appName: "interim",
  hostname: "siem-it",
  batchSize: 200,
  checkpointMs: 200,
  closeTimeoutMs: 3_000,
  reconnectMaxMs: 300,
  pollMs: 20,
  ...over,
});

/** `n` events in transactions of `per` (as services write them), alternating a refusal and a grant. */
async function audit(n: number, per = 500) {
  for (let i = 0; i < n; i += per) {
    const events: AuditEvent[] = Array.from({ length: Math.min(per, n - i) }, (_, j) =>
      (i + j) % 2
        ? {
            action: "request.refused",
            targetType: "privilege",
            targetId: randomUUID(),
            data: { privilege: awkward, rule: "fields", reason: awkward, location: "" },
          }
        : {
            action: "grant.activated",
            targetType: "grant",
            targetId: randomUUID(),
            data: { groupDn: "CN=G,DC=x", memberDn: "CN=A\\, B,DC=x", expiresAt: new Date().toISOString(), alreadyMember: false, ttlSeconds: null },
          },
    );
    await db.transaction((tx) => recordAudit(tx, actor, events));
  }
}

const seqsOf = (r: Rsyslog) => r.lines().map(seqOf);

/** Every seq from 1 to `last` is there, and the stream is in order: after a rewind it runs on from an earlier seq without gaps. */
function expectAllInOrder(seqs: number[], last: number) {
  expect(new Set(seqs).size).toBe(last);
  expect(Math.min(...seqs)).toBe(1);
  expect(Math.max(...seqs)).toBe(last);
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i]! > seqs[i - 1]!) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
  }
}

beforeEach(async () => {
  await resetDatabase();
  await db.execute(sql`delete from siem_export_state`);
});

afterEach(async () => {
  await Promise.all(exporters.map((e) => e.stop()));
  await Promise.all(receivers.map((r) => r.close()));
  exporters = [];
  receivers = [];
});

describe("SIEM export", () => {
  it("sends JSON over TCP in seq order with every field (settings from env), and the status shows the cursor", async () => {
    const rs = await receiver();
    const saved = { ...process.env };
    Object.assign(process.env, {
      SIEM_SYSLOG_URL: `tcp://127.0.0.1:${rs.port}`,
      SIEM_FORMAT: "json",
      SIEM_HOSTNAME: "siem-it",
      SIEM_APP_NAME: "interim-it",
      SIEM_CHECKPOINT_MS: "200",
      SIEM_POLL_MS: "50",
    });
    resetEnvForTests();
    const config = siemConfigFromEnv()!;
    process.env = saved;
    resetEnvForTests();
    expect(config.target).toEqual({ host: "127.0.0.1", port: rs.port, tls: false });

    await audit(301, 100);
    exporter(config);
    await waitFor("the receiver has 301 events and the cursor moved", async () => (await siemStatus(admin)).lastSentSeq === 301 && rs.lines().length >= 301);
    const lines = rs.lines();
    expect(seqsOf(rs)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));

    const [first, second] = lines.map(parseSyslog);
    // authpriv (10) × 8 + notice (5) for a grant; warning (4) for a refusal.
    expect(first).toMatchObject({
      pri: 85,
      version: "1",
      hostname: "siem-it",
      appName: "interim-it",
      procId: String(process.pid),
      msgId: "grant.activated",
      sd: "-",
    });
    expect(second).toMatchObject({ pri: 84, msgId: "request.refused" });
    const row = (await db.execute<{ at: Date; hash: string; target_id: string }>(sql`select at, hash, target_id from audit_events where seq = 2`))[0]!;
    expect(second!.timestamp).toBe(new Date(row.at).toISOString());
    expect(JSON.parse(second!.msg)).toMatchObject({
      seq: 2,
      action: "request.refused",
      actor: { type: "user", id: actor.id, name: actor.name },
      target: { type: "privilege", id: row.target_id },
      ip: "192.0.2.7",
      userAgent: actor.userAgent,
      data: { privilege: awkward, rule: "fields", reason: awkward, location: "" },
      hash: row.hash,
    });

    const status = await siemStatus(admin);
    expect(status).toMatchObject({
      enabled: true,
      running: true,
      target: `tcp://127.0.0.1:${rs.port}`,
      format: "json",
      tls: false,
      lastSentSeq: 301,
      backlog: 0,
    });
    expect(status.lastError).toBeNull();
    expect(status.lastSentAt).toBeInstanceOf(Date);
    // Administrators only, in the service and through the procedure.
    await expect(siemStatus({ ...admin, isAdmin: false })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await trpcHttp(await localUser("dave"), "siem.status", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await trpcHttp(await localUser("carol", true), "siem.status", undefined, { query: true })).toMatchObject({
      ok: true,
      data: { lastSentSeq: 301, backlog: 0, target: `tcp://127.0.0.1:${rs.port}` },
    });
  });

  it("sends CEF over TLS verified against the CA file, escaped so that every value comes back intact", async () => {
    const rs = await receiver({ tls: true });
    await audit(40, 40);
    exporter(quick(rs, { format: "cef", target: { host: "127.0.0.1", port: rs.port, tls: true, caFile: rs.ca!.caFile } }));
    await waitFor("40 CEF events over TLS", async () => rs.lines().length >= 40 && (await siemStatus(admin)).lastSentSeq === 40);
    const parsed = rs.lines().map((l) => parseCef(parseSyslog(l).msg));
    expect(parsed.map((c) => Number(c.ext.externalId))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const refusal = parsed[1]!;
    expect(refusal.header).toEqual(["CEF:0", "Interim", "Interim", expect.any(String), "request.refused", "request.refused", "7"]);
    expect(refusal.ext).toMatchObject({
      act: "request.refused",
      suser: actor.name,
      suid: actor.id,
      src: "192.0.2.7",
      requestClientApplication: actor.userAgent,
      cs1Label: "actorType",
      cs1: "user",
      cs2: "privilege",
    });
    expect(JSON.parse(refusal.ext.cs4!)).toEqual({ privilege: awkward, rule: "fields", reason: awkward, location: "" });
    expect(parsed[0]!.header[6]).toBe("3");
    expect(await siemStatus(admin)).toMatchObject({ tls: true, format: "cef", target: `tls://127.0.0.1:${rs.port}` });
  });

  it("loses nothing while the receiver is down mid-stream: every seq arrives after it restarts, in order", async () => {
    const rs = await receiver();
    await audit(6000, 2000);
    exporter(quick(rs, { batchSize: 100, checkpointMs: 150 }));
    await waitFor("the stream has started", async () => rs.lines().length >= 300, 20_000, 5);
    await rs.stop();
    const atStop = rs.lines().length;
    await audit(500);
    await waitFor("the failure is shown", async () => (await siemStatus(admin)).lastError !== null, 10_000);
    const down = await siemStatus(admin);
    expect(down.lastError).toMatch(/ECONNREFUSED|closed|reset|EPIPE/i);
    expect(down.backlog).toBeGreaterThan(0);
    expect(atStop).toBeLessThan(6500);
    await rs.start();
    await waitFor("the cursor reached the head", async () => (await siemStatus(admin)).lastSentSeq === 6500, 30_000);
    expectAllInOrder(seqsOf(rs), 6500);
    const after = await siemStatus(admin);
    expect(after).toMatchObject({ backlog: 0, lastError: null });
    expect(after.failureCount).toBeGreaterThan(0);
  });

  it("has one exporter at a time, and a new one resumes after the persisted cursor", async () => {
    const rs = await receiver();
    const config = quick(rs);
    const a = exporter(config);
    const b = exporter(config);
    await waitFor("one leads", async () => a.leading() || b.leading());
    await audit(100, 50);
    await waitFor("100 confirmed", async () => (await siemStatus(admin)).lastSentSeq === 100);
    expect([a.leading(), b.leading()].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = a.leading() ? [a, b] : [b, a];
    await leader.stop();
    await audit(100, 50);
    await waitFor("the standby took over and confirmed 200", async () => standby.leading() && (await siemStatus(admin)).lastSentSeq === 200);
    await standby.stop();
    await audit(50);
    exporter(config);
    await waitFor("a restarted exporter confirmed 250", async () => (await siemStatus(admin)).lastSentSeq === 250);
    // Nothing sent twice: each exporter started after the cursor the previous one left.
    expect(seqsOf(rs)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it("runs in the worker process from its environment, and a SIGTERM confirms what was written before it exits", async () => {
    const rs = await receiver();
    await audit(50);
    // A checkpoint longer than the test: only the clean stop's close can confirm the events.
    const worker = await startWorker({ SIEM_SYSLOG_URL: `tcp://127.0.0.1:${rs.port}`, SIEM_POLL_MS: "50", SIEM_CHECKPOINT_MS: "600000" });
    try {
      await waitFor("the worker's export reached rsyslog", async () => rs.lines().length >= 50);
      expect((await siemStatus(admin)).lastSentSeq).toBe(0);
    } finally {
      await worker.kill("SIGTERM");
    }
    expect(worker.child.exitCode).toBe(0);
    // The worker audits its own work too (a catalog sync, possibly while it stops): whatever it wrote to rsyslog was confirmed.
    const status = await siemStatus(admin);
    expect(status.lastSentSeq).toBeGreaterThanOrEqual(50);
    expect(seqsOf(rs)).toEqual(Array.from({ length: status.lastSentSeq }, (_, i) => i + 1));
  });

  it("refuses a receiver whose certificate the CA file does not vouch for: nothing sent, the error in the status", async () => {
    const rs = await receiver({ tls: true });
    const other = makeCa(rs.dir, "other");
    await audit(10);
    exporter(quick(rs, { format: "cef", target: { host: "127.0.0.1", port: rs.port, tls: true, caFile: other.caFile } }));
    await waitFor("the TLS failure is shown", async () => (await siemStatus(admin)).lastError !== null);
    const status = await siemStatus(admin);
    expect(status.lastError).toMatch(/certificate/i);
    expect(status.lastError).not.toContain(join(rs.dir, "other.pem"));
    expect(status).toMatchObject({ lastSentSeq: 0, backlog: 10, tls: true });
    expect(status.lastErrorAt).toBeInstanceOf(Date);
    expect(rs.lines()).toEqual([]);
  });
});
