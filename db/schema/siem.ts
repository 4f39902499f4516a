import { sql } from "drizzle-orm";
import { bigint, boolean, check, integer, pgTable, smallint, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The SIEM export's cursor (server/siem/exporter.ts): one row. `last_seq`/`last_hash` name the
 * newest audit event the receiver is known to have read (the committed cursor — never merely
 * written); a new leader resumes after it. Only the worker holding the export's advisory lock
 * writes it, on the lock's own connection. `target`/`format`/`tls` say where the leader sends
 * (host:port, never credentials); `heartbeat_at` says it is alive.
 */
export const siemExportState = pgTable(
  "siem_export_state",
  {
    id: smallint("id").primaryKey().default(1),
    lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
    lastHash: text("last_hash"),
    /** When the cursor last moved (the receiver confirmed events up to last_seq). */
    lastSentAt: timestamp("last_sent_at", { withTimezone: true }),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    /** Events confirmed (the cursor's moves, summed). */
    sentCount: bigint("sent_count", { mode: "number" }).notNull().default(0),
    /** Events written again after a connection failed before the receiver confirmed them (duplicates at the receiver, at most). */
    resentCount: bigint("resent_count", { mode: "number" }).notNull().default(0),
    /** Connections that failed (refused, reset, TLS refused, no confirmation in time). */
    failureCount: integer("failure_count").notNull().default(0),
    target: text("target"),
    format: text("format"),
    tls: boolean("tls"),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
  },
  (t) => [check("siem_export_state_one_row", sql`${t.id} = 1`), check("siem_export_state_seq", sql`${t.lastSeq} >= 0`)],
);
