import "server-only";
import { desc, sql } from "drizzle-orm";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { withSessionLock } from "@/server/jobs/locks";
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
  last?: { seq: number; eventSeq: number; at: number };
  startedAt: number;
}

export function newWriterState(now = Date.now()): WriterState {
  return { startedAt: now };
}

async function lastCheckpoint(): Promise<WriterState["last"]> {
  const [row] = await db.execute<{ seq: string; data: unknown }>(
    sql`select seq, data from audit_events where action = 'audit.checkpoint' order by seq desc limit 1`,
  );
  const parsed = checkpointSchema.safeParse(row?.data);
  return row && parsed.success ? { seq: parsed.data.seq, eventSeq: Number(row.seq), at: Date.parse(parsed.data.at) } : undefined;
}

/** Writes a checkpoint when one is due; returns it, or null (not due, or another worker is the writer). */
export async function checkpointIfDue(state: WriterState, policy: CheckpointPolicy, now = Date.now()): Promise<Checkpoint | null> {
  const run = await withSessionLock(CHECKPOINT_LOCK, async () => {
    // Another worker may have written one since: the trail says which is the newest.
    state.last = (await lastCheckpoint()) ?? state.last;
    const [head] = await db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    if (!head) return null;
    const last = state.last;
    // The checkpoint's own event moves the head by one: that alone is no reason for another.
    if (last && head.seq <= last.eventSeq) return null;
    const since = last?.at ?? state.startedAt;
    const due = head.seq - (last?.seq ?? 0) >= policy.everyEvents || now - since >= policy.intervalMs;
    if (!due) return null;
    return writeCheckpoint(state, policy.file, head, now);
  });
  return run.ran ? run.value : null;
}

async function writeCheckpoint(state: WriterState, file: string, head: { seq: number; hash: string }, now: number): Promise<Checkpoint> {
  const [first] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = 1`);
  const checkpoint = signCheckpoint(signingKey().privateKey, {
    seq: head.seq,
    hash: head.hash,
    at: new Date(now).toISOString(),
    chain: first?.hash ?? head.hash,
  });
  // The file first: a checkpoint of committed rows is true whether or not its event commits.
  appendCheckpoint(file, checkpoint);
  const eventSeq = await db.transaction(async (tx) => {
    await recordAudit(tx, SYSTEM_ACTOR, [{ action: "audit.checkpoint", targetType: "audit_chain", targetId: String(head.seq), data: checkpoint }]);
    const [row] = await tx.execute<{ seq: string }>(sql`select max(seq) as seq from audit_events`);
    return Number(row?.seq ?? head.seq + 1);
  });
  state.last = { seq: head.seq, eventSeq, at: now };
  return checkpoint;
}
