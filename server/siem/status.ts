import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { describeTarget, parseSyslogUrl } from "./config";

/** A leader that has not written for this long is not running (it beats every 5 s). */
const RUNNING_SECONDS = 30;

interface Row extends Record<string, unknown> {
  head: string;
  last_seq: string | null;
  last_sent_at: Date | string | null;
  last_error: string | null;
  last_error_at: Date | string | null;
  sent_count: string | null;
  resent_count: string | null;
  failure_count: number | null;
  target: string | null;
  format: string | null;
  tls: boolean | null;
  heartbeat_age: number | null;
}

async function readState(): Promise<Row> {
  const [row] = await db.execute<Row>(sql`
    select (select coalesce(max(seq), 0) from audit_events)::text as head, s.last_seq::text as last_seq, s.last_sent_at, s.last_error,
           s.last_error_at, s.sent_count::text as sent_count, s.resent_count::text as resent_count, s.failure_count, s.target, s.format, s.tls,
           extract(epoch from now() - s.heartbeat_at)::float8 as heartbeat_age
    from (select 1) as one left join siem_export_state s on s.id = 1`);
  return row!;
}

const dateOf = (v: Date | string | null) => (v === null ? null : new Date(v));

/** Audit events not yet confirmed by the receiver (head seq − cursor). */
export async function siemBacklog(): Promise<number> {
  const r = await readState();
  return Math.max(0, Number(r.head) - Number(r.last_seq ?? 0));
}

/**
 * What the overview shows of the SIEM export: whether it is on (this process's env, or a worker
 * exporting), where to (scheme://host:port and format; never the CA file's path or anything
 * secret), the cursor, the backlog, and the last error.
 */
export async function siemStatus(user: SessionUser) {
  assertCan(user, "read", "Audit");
  const r = await readState();
  const running = r.heartbeat_age !== null && r.heartbeat_age <= RUNNING_SECONDS;
  const fromEnv = env.SIEM_SYSLOG_URL ? parseSyslogUrl(env.SIEM_SYSLOG_URL) : null;
  const lastSeq = Number(r.last_seq ?? 0);
  return {
    enabled: Boolean(fromEnv) || running,
    running,
    target: running && r.target ? r.target : fromEnv ? describeTarget(fromEnv) : r.target,
    format: running && r.format ? r.format : fromEnv ? env.SIEM_FORMAT : r.format,
    tls: running && r.tls !== null ? r.tls : fromEnv ? fromEnv.tls : r.tls,
    lastSentSeq: lastSeq,
    lastSentAt: dateOf(r.last_sent_at),
    headSeq: Number(r.head),
    backlog: Math.max(0, Number(r.head) - lastSeq),
    lastError: r.last_error,
    lastErrorAt: dateOf(r.last_error_at),
    sentCount: Number(r.sent_count ?? 0),
    resentCount: Number(r.resent_count ?? 0),
    failureCount: r.failure_count ?? 0,
  };
}
