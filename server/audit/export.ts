import "server-only";
import { and, asc, lte, max } from "drizzle-orm";
import { db, sqlClient } from "@/db";
import { auditEvents } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import type { AuditActor } from "./events";
import { CSV_HEADER, csvLine, jsonLine, type ExportedRow } from "./export-format";
import { auditWhere } from "./filters";
import { resolveNames } from "./names";
import type { ExportAuditInput } from "./schemas";
import { recordAudit } from "./service";

/*
 * The filtered trail as a file, oldest first, streamed: a server-side cursor hands over CHUNK rows
 * at a time, their names are looked up for the chunk (names.ts), and the next chunk is fetched only
 * once `sink.write` resolved — the HTTP layer resolves it when the socket drained — so memory stays
 * flat however many rows match, and a slow client slows the query instead of filling the heap.
 * The export reads the trail as it was when it started (seq ≤ the last event then), so its own
 * audit events and anything written meanwhile are not in it.
 */

export const EXPORT_CHUNK_ROWS = 1000;

export interface ExportSink {
  /** Resolves once the bytes may be followed by more (backpressure); rejects when the reader left. */
  write(text: string): Promise<void>;
}

type Filter = Omit<ExportAuditInput, "format">;

function describeFilter(f: Filter, throughSeq: number) {
  return {
    ...(f.q ? { q: f.q } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.actor ? { actor: f.actor } : {}),
    ...(f.targetId ? { targetId: f.targetId } : {}),
    ...(f.from ? { from: f.from.toISOString() } : {}),
    ...(f.to ? { to: f.to.toISOString() } : {}),
    throughSeq,
  };
}

interface DbRow {
  seq: string | number;
  /** Text: drizzle's client hands timestamps over unparsed. */
  at: string | Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  data: Record<string, unknown>;
  ip: string | null;
  user_agent: string | null;
  prev_hash: string;
  hash: string;
}

function fromDb(r: DbRow): ExportedRow {
  return {
    seq: Number(r.seq),
    at: new Date(r.at),
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    data: r.data,
    ip: r.ip,
    userAgent: r.user_agent,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Streams the filtered trail into `sink`; audited before the first row and after the last. */
export async function exportAudit(
  user: SessionUser,
  actor: AuditActor,
  input: ExportAuditInput,
  sink: ExportSink,
): Promise<{ rows: number; complete: boolean }> {
  assertCan(user, "read", "Audit");
  const { format, ...filter } = input;
  const described = await db.transaction(async (tx) => {
    const [last] = await tx.select({ seq: max(auditEvents.seq) }).from(auditEvents);
    const f = describeFilter(filter, Number(last?.seq ?? 0));
    await recordAudit(tx, actor, [{ action: "audit.export_started", targetType: "audit_trail", targetId: null, data: { format, filter: f } }]);
    return f;
  });
  const query = db
    .select()
    .from(auditEvents)
    .where(and(auditWhere(filter), lte(auditEvents.seq, described.throughSeq)))
    .orderBy(asc(auditEvents.seq))
    .toSQL();
  const line = format === "csv" ? csvLine : jsonLine;
  let rows = 0;
  let complete = false;
  try {
    if (format === "csv") await sink.write(CSV_HEADER);
    for await (const raw of sqlClient()
      .unsafe<DbRow[]>(query.sql, query.params as never[])
      .cursor(EXPORT_CHUNK_ROWS)) {
      const chunk = raw.map(fromDb);
      const names = await resolveNames(db, chunk);
      await sink.write(chunk.map((r, i) => line(r, names[i]!)).join(""));
      rows += chunk.length;
    }
    complete = true;
  } finally {
    await db.transaction((tx) =>
      recordAudit(tx, actor, [{ action: "audit.exported", targetType: "audit_trail", targetId: null, data: { format, filter: described, rows, complete } }]),
    );
  }
  return { rows, complete };
}
