import "server-only";
import type postgres from "postgres";
import { describeTarget, type SiemConfig } from "./config";
import type { SiemEvent } from "./event";

/*
 * The exporter's reads and writes, on the connection that holds the export's advisory lock: a
 * leader whose connection broke cannot move the cursor after another worker took over.
 */

export interface Cursor {
  seq: number;
  hash: string | null;
}

/** The committed cursor (the row is created at 0 the first time). */
export async function loadCursor(conn: postgres.ReservedSql): Promise<Cursor> {
  await conn`insert into siem_export_state (id) values (1) on conflict (id) do nothing`;
  const [row] = await conn<{ seq: string; hash: string | null }[]>`select last_seq::text as seq, last_hash as hash from siem_export_state where id = 1`;
  return { seq: Number(row?.seq ?? 0), hash: row?.hash ?? null };
}

/** Whether the audit row at the cursor still carries the hash that was sent (null: nothing sent yet, or it matches). */
export async function cursorMismatch(conn: postgres.ReservedSql, c: Cursor): Promise<string | null> {
  if (c.seq === 0 || !c.hash) return null;
  const [row] = await conn<{ hash: string }[]>`select hash from audit_events where seq = ${c.seq}`;
  if (!row) return `the audit event at the export's cursor (seq ${c.seq}) is gone: the trail lost its newest rows after they were sent`;
  if (row.hash !== c.hash) return `the audit event at the export's cursor (seq ${c.seq}) changed after it was sent: the trail was rewritten`;
  return null;
}

export async function announce(conn: postgres.ReservedSql, config: SiemConfig) {
  await conn`update siem_export_state set target = ${describeTarget(config.target)}, format = ${config.format}, tls = ${config.target.tls},
    heartbeat_at = now() where id = 1`;
}

export async function heartbeat(conn: postgres.ReservedSql) {
  await conn`update siem_export_state set heartbeat_at = now() where id = 1`;
}

/** The receiver confirmed everything up to `to`: move the cursor and clear the error. */
export async function commit(conn: postgres.ReservedSql, from: Cursor, to: Cursor) {
  await conn`update siem_export_state set last_seq = ${to.seq}, last_hash = ${to.hash}, last_sent_at = now(), heartbeat_at = now(),
    sent_count = sent_count + ${to.seq - from.seq}, last_error = null, last_error_at = null where id = 1 and last_seq = ${from.seq}`;
}

/** A failed connection: its error, and how many written events will be sent again. */
export async function recordFailure(conn: postgres.ReservedSql, error: string, resent: number) {
  await conn`update siem_export_state set last_error = ${error.slice(0, 1000)}, last_error_at = now(), heartbeat_at = now(),
    failure_count = failure_count + 1, resent_count = resent_count + ${resent} where id = 1`;
}

/** A problem that is not a connection's (the cursor's row rewritten): shown, not counted. */
export async function recordProblem(conn: postgres.ReservedSql, error: string) {
  await conn`update siem_export_state set last_error = ${error.slice(0, 1000)}, last_error_at = now() where id = 1`;
}

export async function hasEventsAfter(conn: postgres.ReservedSql, seq: number): Promise<boolean> {
  const rows = await conn`select 1 from audit_events where seq > ${seq} limit 1`;
  return rows.length > 0;
}

/** The next `limit` events after `seq`, in seq order. */
export async function readAfter(conn: postgres.ReservedSql, seq: number, limit: number): Promise<SiemEvent[]> {
  // drizzle's postgres-js driver hands timestamps over as text (it sets the shared client's parsers).
  const rows = await conn<(Omit<SiemEvent, "seq" | "at" | "data"> & { seq: string; at: string | Date; data: Record<string, unknown> | string })[]>`
    select seq::text as seq, at, actor_type as "actorType", actor_id as "actorId", actor_name as "actorName", action,
           target_type as "targetType", target_id as "targetId", data, ip, user_agent as "userAgent", prev_hash as "prevHash", hash
    from audit_events where audit_events.seq > ${seq} order by audit_events.seq limit ${limit}`;
  return rows.map((r) => ({
    ...r,
    seq: Number(r.seq),
    at: new Date(r.at),
    data: typeof r.data === "string" ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
  }));
}
