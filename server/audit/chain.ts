import "server-only";
import { createHash } from "node:crypto";

/** The genesis link: the first row's prev_hash. */
export const GENESIS_HASH = "0".repeat(64);

export interface ChainedFields {
  seq: number;
  at: Date;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  data: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
}

/** JSON with object keys sorted at every depth, so jsonb's key reordering cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function hashEvent(prevHash: string, e: ChainedFields): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at.toISOString(),
    actorType: e.actorType,
    actorId: e.actorId,
    actorName: e.actorName,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    data: e.data,
    ip: e.ip,
    userAgent: e.userAgent,
  });
  return createHash("sha256").update(prevHash).update("\n").update(body).digest("hex");
}

export interface ChainRow extends ChainedFields {
  prevHash: string;
  hash: string;
}

export type ChainProblem = { seq: number; kind: "gap"; expectedSeq: number } | { seq: number; kind: "broken-link" } | { seq: number; kind: "hash-mismatch" };

/**
 * Verifies rows in seq order, continuing from `prev` (the last verified row, or none for the
 * start). Detects edited rows (hash), deleted rows (gap / broken link) and reordered ones.
 */
export function verifyChain(rows: ChainRow[], prev?: { seq: number; hash: string }): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let expectedSeq = prev ? prev.seq + 1 : 1;
  let prevHash = prev ? prev.hash : GENESIS_HASH;
  for (const row of rows) {
    if (row.seq !== expectedSeq) problems.push({ seq: row.seq, kind: "gap", expectedSeq });
    if (row.prevHash !== prevHash) problems.push({ seq: row.seq, kind: "broken-link" });
    if (hashEvent(row.prevHash, row) !== row.hash) problems.push({ seq: row.seq, kind: "hash-mismatch" });
    expectedSeq = row.seq + 1;
    prevHash = row.hash;
  }
  return problems;
}
