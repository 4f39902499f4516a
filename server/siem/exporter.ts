import "server-only";
import type { Logger } from "pino";
import { errorText } from "@/server/grants/error-text";
import { LockLost, startLeaderLoop, type LeaderLoop, type Leading } from "@/server/jobs/leader";
import { appVersion } from "@/server/ops/version";
import type { SiemConfig } from "./config";
import { SyslogConnection } from "./connection";
import type { MessageOptions } from "./event";
import { frameAll } from "./format";
import { siemMetrics } from "./metrics";
import * as state from "./state";

/*
 * The SIEM export: every audit event, in `audit_events.seq` order, to a syslog receiver (RFC 5424,
 * octet-counted framing, TCP or TLS), at least once.
 *
 * One exporter at a time across workers: the leader holds a session advisory lock on a connection
 * of its own, which it also uses for every read and cursor write; when that connection dies,
 * Postgres gives the lock to a standby (which tries every few seconds) and the old leader fails its
 * next write. The cursor (siem_export_state) survives restarts: a new leader resumes after it.
 *
 * Delivery. Plain syslog over TCP has no acknowledgement: `socket.write` returning only means the
 * bytes reached our kernel, and bytes written just before the receiver died vanish silently. A
 * settle time ("the connection stayed up N seconds afterwards") would not cover a receiver host
 * that disappears without a reset (power cut, partition): its connection looks healthy until TCP's
 * retransmissions give up, many minutes later. So the cursor moves only on a receipt: events are
 * written on a connection for up to SIEM_CHECKPOINT_MS, then we close our side and wait for the
 * receiver to close its own (connection.ts `confirm`), which it does only after reading everything
 * we sent. Then — and only then — the committed cursor moves to the last event written, and the
 * next events go on a new connection. Any failure before (refused, reset, the receiver closing
 * first, TLS refused, no close within SIEM_CLOSE_TIMEOUT_MS) rewinds to the committed cursor: the
 * events written since are sent again on the next connection (duplicates at the receiver are
 * possible, losses are not), after a backoff from 500 ms doubling to SIEM_RECONNECT_MAX_MS. Each
 * event carries its seq and hash, so a SIEM can drop duplicates. A clean stop (SIGTERM) confirms
 * what it wrote first. The cost: one connection per checkpoint (a TLS handshake every 2 s at most).
 *
 * Throughput: a backlog is read SIEM_BATCH_SIZE rows at a time and written back to back; once
 * caught up, the table is polled every SIEM_POLL_MS and no connection is held while there is
 * nothing to send.
 */

const STANDBY_MS = 5_000;
const HEARTBEAT_MS = 5_000;
const FIRST_BACKOFF_MS = 500;
const SIEM_LOCK = 0x1a7e_5e1e;

export type SiemExport = LeaderLoop;

export function startSiemExport(log: Logger, config: SiemConfig, opts: { standbyMs?: number } = {}): SiemExport {
  const message: MessageOptions = {
    format: config.format,
    appName: config.appName,
    hostname: config.hostname,
    procId: String(process.pid),
    version: appVersion(),
  };
  return startLeaderLoop(
    {
      lockKey: SIEM_LOCK,
      log,
      name: "siem export",
      lostDatabase: "lost the database; retrying",
      standbyMs: opts.standbyMs ?? STANDBY_MS,
      maxBackoffMs: config.reconnectMaxMs,
    },
    (leading) => lead(log, config, message, leading),
  );
}

/** Sends while this worker leads; returns when stopped, throws LockLost when the lock's connection broke. */
async function lead(log: Logger, config: SiemConfig, message: MessageOptions, { conn, onLock, nap, stopped }: Leading) {
  let committed = await onLock(() => state.loadCursor(conn));
  await onLock(() => state.announce(conn, config));
  const mismatch = await onLock(() => state.cursorMismatch(conn, committed));
  if (mismatch) {
    log.error({ seq: committed.seq }, `siem export: ${mismatch}`);
    await onLock(() => state.recordProblem(conn, mismatch));
  }
  let backoff = 0;
  let beatAt = Date.now();
  while (!stopped()) {
    if (Date.now() - beatAt >= HEARTBEAT_MS) {
      await onLock(() => state.heartbeat(conn));
      beatAt = Date.now();
    }
    if (!(await onLock(() => state.hasEventsAfter(conn, committed.seq)))) {
      await nap(config.pollMs);
      continue;
    }
    let written = committed;
    let socket: SyslogConnection | undefined;
    try {
      socket = await SyslogConnection.open(config.target, config.closeTimeoutMs);
      const openedAt = Date.now();
      while (!stopped() && Date.now() - openedAt < config.checkpointMs) {
        const rows = await onLock(() => state.readAfter(conn, written.seq, config.batchSize));
        if (rows.length) {
          await socket.write(frameAll(rows, message));
          const last = rows[rows.length - 1]!;
          written = { seq: last.seq, hash: last.hash };
          siemMetrics().written.inc(rows.length);
        }
        if (rows.length < config.batchSize) await nap(Math.min(config.pollMs, Math.max(0, config.checkpointMs - (Date.now() - openedAt))));
      }
      await socket.confirm(config.closeTimeoutMs);
      if (written.seq > committed.seq) {
        const from = committed;
        await onLock(() => state.commit(conn, from, written));
        siemMetrics().confirmed.inc(written.seq - from.seq);
        committed = written;
        beatAt = Date.now();
      }
      if (backoff) log.info({ seq: committed.seq }, "siem export: delivering again");
      backoff = 0;
    } catch (err) {
      socket?.destroy();
      if (err instanceof LockLost) throw err;
      const text = errorText(err);
      const resent = written.seq - committed.seq;
      siemMetrics().failures.inc();
      if (!backoff) log.warn({ err: text, committedSeq: committed.seq, resent }, "siem export: connection failed; sending again from the committed cursor");
      await onLock(() => state.recordFailure(conn, text, resent));
      backoff = Math.min(config.reconnectMaxMs, backoff ? backoff * 2 : FIRST_BACKOFF_MS);
      await nap(backoff);
    }
  }
}
