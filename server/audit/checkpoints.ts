import "server-only";
import { desc, gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { withSessionLock } from "@/server/jobs/locks";
import { verifyChain, type ChainRow } from "./chain";
import { SYSTEM_ACTOR } from "./events";
import { appendCheckpoint } from "./checkpoints-file";
import { signingKey } from "./checkpoints-key";
import { checkpointSchema, signCheckpoint, type Checkpoint } from "./checkpoints-sign";
import { recordAudit } from "./service";

/*
 * The checkpoint writer (worker): when AUDIT_CHECKPOINT_EVERY events were appended since the last
 * checkpoint, or AUDIT_CHECKPOINT_INTERVAL_MS passed and the head moved, signs the head (seq, hash,
 * time), appends it to the local file (fsync) and records it as an `audit.checkpoint` event, which
 * the SIEM export carries off the machine. One writer across workers (a session advisory lock).
 */

const CHECKPOINT_LOCK = 0x1a7e_a0c1;

export interface CheckpointPolicy {
  everyEvents: number;
  intervalMs: number;
  file: string;
}

/** What the writer remembers between runs: the last checkpoint's seq, the seq of its own event, and when. */
export interface WriterState {
  last?: { seq: number; hash: string; eventSeq: number; at: number };
  startedAt: number;
}

export function newWriterState(now = Date.now()): WriterState {
  return { startedAt: now };
}

/** The newest checkpoint event after `afterSeq` (the rows since the last one this writer knows). */
async function lastCheckpoint(afterSeq: number): Promise<WriterState["last"]> {
  const [row] = await db.execute<{ seq: string; data: unknown }>(
    sql`select seq, data from audit_events where action = 'audit.checkpoint' and seq > ${afterSeq} order by seq desc limit 1`,
  );
  const parsed = checkpointSchema.safeParse(row?.data);
  return row && parsed.success ? { seq: parsed.data.seq, hash: parsed.data.hash, eventSeq: Number(row.seq), at: Date.parse(parsed.data.at) } : undefined;
}

/** Writes a checkpoint when one is due; returns it, or null (not due, or another worker is the writer). */
export async function checkpointIfDue(state: WriterState, policy: CheckpointPolicy, now = Date.now()): Promise<Checkpoint | null> {
  const run = await withSessionLock(CHECKPOINT_LOCK, async () => {
    // Another worker may have written one since: the trail says which is the newest.
    state.last = (await lastCheckpoint(state.last?.eventSeq ?? 0)) ?? state.last;
    const [head] = await db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    if (!head) return null;
    const last = state.last;
    // The checkpoint's own event moves the head by one: that alone is no reason for another.
    if (last && head.seq <= last.eventSeq) return null;
    const since = last?.at ?? state.startedAt;
    const due = head.seq - (last?.seq ?? 0) >= policy.everyEvents || now - since >= policy.intervalMs;
    if (!due) return null;
    // Never sign a head that does not extend the last signed one: a rewrite would be blessed.
    // Once an admin has acknowledged every alert raised since, the trail as it is becomes the new base.
    if (last && !(await extendsCheckpoint(last)) && !(await divergenceAcknowledged(last.at))) throw new ChainDiverged(last.seq);
    return writeCheckpoint(state, policy.file, head, now);
  });
  return run.ran ? run.value : null;
}

export class ChainDiverged extends Error {
  constructor(seq: number) {
    super(`not signing a checkpoint: the trail no longer extends the checkpoint of event #${seq} (see the audit chain alerts)`);
  }
}

/** The row of the last checkpoint still has its hash, and every row since links on from it. */
async function extendsCheckpoint(last: { seq: number; hash: string }): Promise<boolean> {
  const [row] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = ${last.seq}`);
  if (row?.hash !== last.hash) return false;
  let prev = { seq: last.seq, hash: last.hash };
  for (;;) {
    const rows: ChainRow[] = await db.select().from(auditEvents).where(gt(auditEvents.seq, prev.seq)).orderBy(auditEvents.seq).limit(5000);
    if (rows.length === 0) return true;
    if (verifyChain(rows, prev).length > 0) return false;
    const end = rows[rows.length - 1]!;
    prev = { seq: end.seq, hash: end.hash };
  }
}

async function divergenceAcknowledged(since: number): Promise<boolean> {
  const [row] = await db.execute<{ open: number; seen: number }>(sql`
    select count(*) filter (where acknowledged_at is null)::int as open,
           count(*) filter (where first_seen_at >= ${new Date(since).toISOString()}::timestamptz)::int as seen
    from audit_chain_alerts`);
  return row?.open === 0 && (row?.seen ?? 0) > 0;
}

async function writeCheckpoint(state: WriterState, file: string, head: { seq: number; hash: string }, now: number): Promise<Checkpoint> {
  const [first] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = 1`);
  const checkpoint = signCheckpoint(signingKey().privateKey, {
    seq: head.seq,
    hash: head.hash,
    at: new Date(now).toISOString(),
    chain: first?.hash ?? head.hash,
  });
  const eventSeq = await db.transaction(async (tx) => {
    await recordAudit(tx, SYSTEM_ACTOR, [{ action: "audit.checkpoint", targetType: "audit_chain", targetId: String(head.seq), data: checkpoint }]);
    const [row] = await tx.execute<{ seq: string }>(sql`select max(seq) as seq from audit_events`);
    return Number(row?.seq ?? head.seq + 1);
  });
  state.last = { seq: head.seq, hash: head.hash, eventSeq, at: now };
  // Then the file (fsync'd); a file that cannot be written fails this run loudly, the event stays.
  appendCheckpoint(file, checkpoint);
  return checkpoint;
}
