import "server-only";
import { desc, sql } from "drizzle-orm";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { withSessionLock } from "@/server/jobs/locks";
import { SYSTEM_ACTOR } from "./events";
import { ChainDiverged, extendsBase, writerBase, type BaseCache } from "./checkpoints-base";
import { appendCheckpoint } from "./checkpoints-file";
import { signingKey } from "./checkpoints-key";
import { signCheckpoint, type Checkpoint } from "./checkpoints-sign";
import { recordAudit } from "./service";

export { ChainDiverged, NoValidBase } from "./checkpoints-base";

/*
 * The checkpoint writer (worker): when AUDIT_CHECKPOINT_EVERY events were appended since the last
 * checkpoint, or AUDIT_CHECKPOINT_INTERVAL_MS passed and the head moved, signs the head (seq, hash,
 * time), appends it to the local file (fsync) and records it as an `audit.checkpoint` event, which
 * the SIEM export carries off the machine. One writer across workers (a session advisory lock).
 *
 * Its base is the newest checkpoint that verifies with our key (server/audit/checkpoints-base.ts),
 * and it signs only a head that extends it. Nothing in the database lifts that: after a rewrite the
 * writer refuses on every tick (an error in the log; the watcher's alert stands) until an operator
 * on the worker host moves the checkpoint file aside, which starts a new anchor.
 */

const CHECKPOINT_LOCK = 0x1a7e_a0c1;

export interface CheckpointPolicy {
  everyEvents: number;
  intervalMs: number;
  file: string;
}

/** What the writer remembers between runs: the file's newest valid checkpoint (cached by the file's size and time). */
export interface WriterState {
  cache: BaseCache;
  startedAt: number;
}

export function newWriterState(now = Date.now()): WriterState {
  return { cache: {}, startedAt: now };
}

/** Writes a checkpoint when one is due; returns it, or null (not due, or another worker is the writer). */
export async function checkpointIfDue(state: WriterState, policy: CheckpointPolicy, now = Date.now()): Promise<Checkpoint | null> {
  const run = await withSessionLock(CHECKPOINT_LOCK, async () => {
    const base = await writerBase(state.cache, policy.file, signingKey().publicKey);
    const [head] = await db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    if (!head) return null;
    // The checkpoint's own event moves the head by one: that alone is no reason for another.
    if (base && head.seq <= base.eventSeq) return null;
    const since = base ? Date.parse(base.checkpoint.at) : state.startedAt;
    const due = head.seq - (base?.checkpoint.seq ?? 0) >= policy.everyEvents || now - since >= policy.intervalMs;
    if (!due) return null;
    // Never sign a head that does not extend the last signed one: a rewrite would be blessed.
    if (base && !(await extendsBase(base.checkpoint))) throw new ChainDiverged(base.checkpoint.seq, policy.file);
    return writeCheckpoint(policy.file, head, now);
  });
  return run.ran ? run.value : null;
}

async function writeCheckpoint(file: string, head: { seq: number; hash: string }, now: number): Promise<Checkpoint> {
  const [first] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = 1`);
  const checkpoint = signCheckpoint(signingKey().privateKey, {
    seq: head.seq,
    hash: head.hash,
    at: new Date(now).toISOString(),
    chain: first?.hash ?? head.hash,
  });
  await db.transaction((tx) =>
    recordAudit(tx, SYSTEM_ACTOR, [{ action: "audit.checkpoint", targetType: "audit_chain", targetId: String(head.seq), data: checkpoint }]),
  );
  // Then the file (fsync'd); a file that cannot be written fails this run loudly, the event stays.
  appendCheckpoint(file, checkpoint);
  return checkpoint;
}
