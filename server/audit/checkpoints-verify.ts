import "server-only";
import type { KeyObject } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";
import type { CheckpointEntry } from "./checkpoints-file";
import { checkpointSchema, checkSignature, type Checkpoint } from "./checkpoints-sign";

/*
 * Checks checkpoints against the rows: each signature (with the trusted public key), the row at
 * each checkpoint's seq (there, with that hash), and the table's head (not below the newest
 * checkpoint: the newest rows were not deleted).
 */

export type CheckpointProblem =
  | { kind: "malformed"; where: string }
  | { kind: "bad-signature"; where: string; seq: number }
  | { kind: "other-key"; where: string; seq: number; keyId: string }
  | { kind: "other-chain"; where: string; seq: number }
  | { kind: "row-missing"; where: string; seq: number }
  | { kind: "hash-mismatch"; where: string; seq: number }
  | { kind: "head-below-checkpoint"; where: string; seq: number; head: number };

export interface CheckpointReport {
  /** Checkpoints looked at (file lines and audit events; one signed twice counts once). */
  count: number;
  /** False when no public key was available: rows were compared, signatures not checked. */
  signaturesChecked: boolean;
  newest: { seq: number; at: string; where: string } | null;
  head: number;
  problems: CheckpointProblem[];
}

/** Every audit.checkpoint event's data, oldest first. */
export async function checkpointsInTrail(executor: Executor): Promise<CheckpointEntry[]> {
  const rows = await executor.execute<{ seq: string; data: unknown }>(sql`select seq, data from audit_events where action = 'audit.checkpoint' order by seq`);
  return rows.map((r) => ({ where: `audit event #${r.seq}`, raw: r.data }));
}

/** Every audit.checkpoint event after `afterSeq`, oldest first (the watcher checks each new one, not only the newest). */
export async function checkpointsInTrailAfter(executor: Executor, afterSeq: number): Promise<(CheckpointEntry & { seq: number })[]> {
  const rows = await executor.execute<{ seq: string; data: unknown }>(
    sql`select seq, data from audit_events where action = 'audit.checkpoint' and seq > ${afterSeq} order by seq`,
  );
  return rows.map((r) => ({ where: `audit event #${r.seq}`, raw: r.data, seq: Number(r.seq) }));
}

export async function verifyCheckpoints(executor: Executor, entries: CheckpointEntry[], publicKey: KeyObject | null): Promise<CheckpointReport> {
  const problems: CheckpointProblem[] = [];
  const seen = new Set<string>();
  const good: { c: Checkpoint; where: string }[] = [];
  for (const e of entries) {
    const verdict = publicKey ? checkSignature(publicKey, e.raw) : uncheckedParse(e.raw);
    const c = verdict.checkpoint;
    if (verdict.verdict === "malformed" || !c) {
      problems.push({ kind: "malformed", where: e.where });
      continue;
    }
    if (seen.has(c.sig)) continue;
    seen.add(c.sig);
    if (verdict.verdict === "bad-signature") problems.push({ kind: "bad-signature", where: e.where, seq: c.seq });
    else if (verdict.verdict === "other-key") problems.push({ kind: "other-key", where: e.where, seq: c.seq, keyId: c.keyId });
    else good.push({ c, where: e.where });
  }
  const hashes = await hashesAt(executor, [1, ...good.map((g) => g.c.seq)]);
  const [head] = await executor.execute<{ head: string | null }>(sql`select max(seq) as head from audit_events`);
  const headSeq = Number(head?.head ?? 0);
  let newest: { c: Checkpoint; where: string } | null = null;
  for (const g of good) {
    const { c, where } = g;
    const first = hashes.get(1);
    if (first !== undefined && first !== c.chain) {
      problems.push({ kind: "other-chain", where, seq: c.seq });
      continue;
    }
    if (!hashes.has(c.seq)) {
      if (c.seq <= headSeq) problems.push({ kind: "row-missing", where, seq: c.seq });
    } else if (hashes.get(c.seq) !== c.hash) problems.push({ kind: "hash-mismatch", where, seq: c.seq });
    if (!newest || c.seq > newest.c.seq) newest = g;
  }
  if (newest && headSeq < newest.c.seq) problems.push({ kind: "head-below-checkpoint", where: newest.where, seq: newest.c.seq, head: headSeq });
  return {
    count: seen.size,
    signaturesChecked: Boolean(publicKey),
    newest: newest ? { seq: newest.c.seq, at: newest.c.at, where: newest.where } : null,
    head: headSeq,
    problems,
  };
}

function uncheckedParse(raw: unknown): ReturnType<typeof checkSignature> {
  // Without a key the signature cannot be checked; the rows still can.
  const parsed = checkpointSchema.safeParse(raw);
  return parsed.success ? { verdict: "valid", checkpoint: parsed.data } : { verdict: "malformed" };
}

async function hashesAt(executor: Executor, seqs: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const unique = [...new Set(seqs)];
  for (let i = 0; i < unique.length; i += 10_000) {
    const part = unique.slice(i, i + 10_000);
    const rows = await executor.execute<{ seq: string; hash: string }>(
      sql`select seq, hash from audit_events where seq = any(${`{${part.join(",")}}`}::bigint[])`,
    );
    for (const r of rows) out.set(Number(r.seq), r.hash);
  }
  return out;
}

/** One line per problem, for the command and the worker's alerts. */
export function describeCheckpointProblem(p: CheckpointProblem): string {
  switch (p.kind) {
    case "malformed":
      return `${p.where}: not a checkpoint`;
    case "bad-signature":
      return `${p.where} (seq ${p.seq}): signature does not verify — the checkpoint was altered`;
    case "other-key":
      return `${p.where} (seq ${p.seq}): signed by another key (${p.keyId})`;
    case "other-chain":
      return `${p.where} (seq ${p.seq}): the chain's first event differs — rewritten from its start, or a checkpoint of another installation`;
    case "row-missing":
      return `${p.where}: event #${p.seq} is missing`;
    case "hash-mismatch":
      return `${p.where}: event #${p.seq} no longer has the hash the checkpoint signed — history was rewritten`;
    case "head-below-checkpoint":
      return `${p.where}: the newest event is #${p.head} but the checkpoint covers #${p.seq} — the newest events were deleted`;
  }
}
