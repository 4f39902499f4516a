/**
 * SIEM export rate (issue 16, BENCH_ONLY=siem): a backlog of N audit events (BENCH_SIEM_EVENTS,
 * 20,000) written with recordAudit (the raw twin: the audit insert rate, same run, same rows), then
 * exported by the real exporter (server/siem/exporter.ts) to a local rsyslog
 * (tests/support/rsyslog.ts) until rsyslog's file holds them all, and until the receiver has
 * confirmed them all (the cursor reached the head): once as JSON over TCP, once as CEF over TLS.
 * The exporter's settings are the environment's defaults (SIEM_BATCH_SIZE, SIEM_CHECKPOINT_MS, …).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { sql } from "drizzle-orm";
import pino from "pino";
import { db } from "@/db";
import type { AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { env } from "@/server/env";
import type { SiemConfig } from "@/server/siem/config";
import { startSiemExport } from "@/server/siem/exporter";
import { startRsyslog, type Rsyslog } from "../tests/support/rsyslog";
import { log, ms, rate, table } from "./lib/stats";

const PER_TRANSACTION = 100;
const TIMEOUT_MS = 300_000;

export interface SiemBenchResult {
  events: number;
  insert: { ms: number; perSecond: number; perTransaction: number };
  exports: { label: string; deliveredMs: number; confirmedMs: number; perSecond: number }[];
}

/** Counts the lines of a growing file, reading only what was appended since the last call. */
function lineCounter(file: string) {
  let offset = 0;
  let lines = 0;
  const buf = Buffer.alloc(1 << 20);
  return () => {
    let fd: number;
    try {
      fd = openSync(file, "r");
    } catch {
      return lines;
    }
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        for (let i = 0; i < n; i++) if (buf[i] === 0x0a) lines++;
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
}

async function headSeq(): Promise<number> {
  const [row] = await db.execute<{ n: string }>(sql`select coalesce(max(seq), 0)::text as n from audit_events`);
  return Number(row!.n);
}

async function confirmedSeq(): Promise<number> {
  const [row] = await db.execute<{ n: string }>(sql`select coalesce(max(last_seq), 0)::text as n from siem_export_state`);
  return Number(row!.n);
}

async function exportOnce(label: string, rs: Rsyslog, config: SiemConfig, from: number, events: number, problems: string[]) {
  await db.execute(sql`insert into siem_export_state (id, last_seq) values (1, ${from})
    on conflict (id) do update set last_seq = excluded.last_seq, last_hash = null, last_error = null`);
  const count = lineCounter(rs.file);
  const exporter = startSiemExport(pino({ level: "warn" }), config, { standbyMs: 50 });
  const started = performance.now();
  let deliveredMs = NaN;
  let confirmedMs = NaN;
  try {
    while (performance.now() - started < TIMEOUT_MS) {
      if (Number.isNaN(deliveredMs) && count() >= events) deliveredMs = performance.now() - started;
      if (!Number.isNaN(deliveredMs) && (await confirmedSeq()) >= from + events) {
        confirmedMs = performance.now() - started;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await exporter.stop();
  }
  if (Number.isNaN(confirmedMs)) problems.push(`siem bench (${label}): ${count()} of ${events} events in rsyslog's file after ${TIMEOUT_MS / 1000} s`);
  log(`siem: ${label}: ${events} events in rsyslog's file after ${ms(deliveredMs)}, confirmed after ${ms(confirmedMs)}`);
  return { label, deliveredMs, confirmedMs, perSecond: (events / deliveredMs) * 1000 };
}

export async function runSiemBench(events: number, problems: string[]): Promise<SiemBenchResult> {
  const from = await headSeq();
  log(`siem: writing ${events} audit events with recordAudit (${PER_TRANSACTION} per transaction) …`);
  const t0 = performance.now();
  for (let i = 0; i < events; i += PER_TRANSACTION) {
    const batch: AuditEvent[] = Array.from({ length: Math.min(PER_TRANSACTION, events - i) }, (_, j) => ({
      action: "request.refused",
      targetType: "privilege",
      targetId: crypto.randomUUID(),
      data: { privilege: `Bench privilege ${i + j}`, rule: "fields", reason: "a reason with | and = and \\ in it", location: "" },
    }));
    await db.transaction((tx) => recordAudit(tx, { type: "system", id: null, name: "interim-bench" }, batch));
  }
  const insertMs = performance.now() - t0;
  const base = {
    format: "json" as const,
    appName: env.SIEM_APP_NAME,
    hostname: "bench",
    batchSize: env.SIEM_BATCH_SIZE,
    checkpointMs: env.SIEM_CHECKPOINT_MS,
    closeTimeoutMs: env.SIEM_CLOSE_TIMEOUT_MS,
    reconnectMaxMs: env.SIEM_RECONNECT_MAX_MS,
    pollMs: env.SIEM_POLL_MS,
  };
  const exports: SiemBenchResult["exports"] = [];
  const tcp = await startRsyslog();
  try {
    exports.push(await exportOnce("JSON over TCP", tcp, { ...base, target: { host: "127.0.0.1", port: tcp.port, tls: false } }, from, events, problems));
  } finally {
    await tcp.close();
  }
  const tls = await startRsyslog({ tls: true });
  try {
    const config: SiemConfig = { ...base, format: "cef", target: { host: "127.0.0.1", port: tls.port, tls: true, caFile: tls.ca!.caFile } };
    exports.push(await exportOnce("CEF over TLS", tls, config, from, events, problems));
  } finally {
    await tls.close();
  }
  return { events, insert: { ms: insertMs, perSecond: (events / insertMs) * 1000, perTransaction: PER_TRANSACTION }, exports };
}

export function siemTable(r: SiemBenchResult): string {
  return table(
    ["what", "events", "time", "rate"],
    [
      [`audit insert (recordAudit, ${r.insert.perTransaction} per transaction)`, String(r.events), ms(r.insert.ms), rate(r.insert.perSecond, " events/s")],
      ...r.exports.map((e) => [
        `SIEM export, ${e.label} → rsyslog's file (confirmed: ${ms(e.confirmedMs)})`,
        String(r.events),
        ms(e.deliveredMs),
        rate(e.perSecond, " events/s"),
      ]),
    ],
  );
}
