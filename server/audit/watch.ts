import "server-only";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { withSessionLock } from "@/server/jobs/locks";
import { GENESIS_HASH, verifyChain, type ChainProblem, type ChainRow } from "./chain";
import { statSync } from "node:fs";
import { lastCheckpointInFile, readCheckpointFile, type CheckpointEntry } from "./checkpoints-file";
import { trustedPublicKey } from "./checkpoints-key";
import { checkSignature } from "./checkpoints-sign";
import { checkpointsInTrailAfter, describeCheckpointProblem, verifyCheckpoints, type CheckpointProblem } from "./checkpoints-verify";
import { raiseAlert, type ChainFinding } from "./watch-alerts";

/*
 * Continuous verification (worker): every few seconds, the rows appended since the last verified
 * (seq, hash) are checked, the verified row is checked to still carry its hash (a rewrite behind
 * the cursor), and the newest checkpoints (file and trail) are checked against their rows. A
 * problem becomes an alert once per worker process (server/audit/watch-alerts.ts). At start-up, and
 * whenever the file changes size, every line of the checkpoint file is checked; every new
 * audit.checkpoint row is checked once, and the newest on every pass. The cursor starts from the
 * newest valid signed checkpoint, so a restart does not re-read the whole trail.
 */

const WATCH_LOCK = 0x1a7e_a0c2;
const PAGE = 5000;

export interface WatchState {
  cursor?: { seq: number; hash: string };
  /** The newest audit.checkpoint event seen, and the head up to which the trail was searched for one. */
  trailCheckpoint?: CheckpointEntry | null;
  searchedTo?: number;
  /** The alert keys this process raised (de-duplication lives here, not in the table). */
  raised?: Set<string>;
  /** The checkpoint file's size when all its lines were last checked. */
  fileSize?: number;
}

/** The trail's checkpoint events to check: each one appended since the last pass, and the newest. */
async function trailCheckpoints(state: WatchState): Promise<CheckpointEntry[]> {
  const [top] = await db.execute<{ seq: string | null }>(sql`select max(seq) as seq from audit_events`);
  const head = Number(top?.seq ?? 0);
  // A head that went back (rows deleted) is searched again from the start.
  const from = state.searchedTo !== undefined && head >= state.searchedTo ? state.searchedTo : 0;
  const found = await checkpointsInTrailAfter(db, from);
  if (found.length > 0) state.trailCheckpoint = found[found.length - 1]!;
  state.searchedTo = head;
  return state.trailCheckpoint ? [state.trailCheckpoint, ...found] : found;
}

/** The file's checkpoints to check: every line at start-up and whenever its size changed, else the last one. */
function fileCheckpoints(state: WatchState, file: string): CheckpointEntry[] {
  let size = -1;
  try {
    size = statSync(file).size;
  } catch {
    // No file yet.
  }
  if (state.fileSize !== size) {
    state.fileSize = size;
    return readCheckpointFile(file);
  }
  const last = lastCheckpointInFile(file);
  return last ? [last] : [];
}

const chainMessage: Record<ChainProblem["kind"], string> = {
  gap: "events are missing before it",
  "broken-link": "it does not point at the event before it (removed or reordered)",
  "hash-mismatch": "its content does not match its hash (edited)",
};

function chainFinding(p: ChainProblem): ChainFinding {
  return { problem: `chain-${p.kind}`, seq: p.seq, message: `Audit event #${p.seq}: ${chainMessage[p.kind]}.` };
}

function checkpointFinding(p: CheckpointProblem): ChainFinding {
  return { problem: `checkpoint-${p.kind}`, seq: "seq" in p ? p.seq : 0, message: describeCheckpointProblem(p), detail: { where: p.where } };
}

/** The newest signed checkpoint whose signature verifies (file or trail), or none. */
function newestValid(entries: (CheckpointEntry | null)[]) {
  const key = trustedPublicKey();
  if (!key) return null;
  let best: { seq: number; hash: string } | null = null;
  for (const e of entries) {
    if (!e) continue;
    const { verdict, checkpoint } = checkSignature(key, e.raw);
    if (verdict === "valid" && checkpoint && (!best || checkpoint.seq > best.seq)) best = { seq: checkpoint.seq, hash: checkpoint.hash };
  }
  return best;
}

/** One verification pass; returns the findings (each already raised as an alert when new). */
export async function watchOnce(state: WatchState, checkpointFile: string): Promise<ChainFinding[]> {
  const anchors = [...fileCheckpoints(state, checkpointFile), ...(await trailCheckpoints(state))];
  // The checkpoints still agree with their rows, and the head is not below them.
  const report = await verifyCheckpoints(db, anchors, trustedPublicKey());
  // Only a file line signed by another key (an earlier key of this host) is not a finding; in the
  // trail, a checkpoint with another key or a bad signature was put there by someone without ours.
  const ignored = (p: CheckpointProblem) => p.kind === "other-key" && p.where.startsWith("checkpoint file");
  const findings = report.problems.filter((p) => !ignored(p)).map(checkpointFinding);
  const flawed = new Set(report.problems.map((p) => p.where));
  state.cursor ??= newestValid(anchors.filter((a) => a && !flawed.has(a.where))) ?? { seq: 0, hash: GENESIS_HASH };
  const cursor = state.cursor;
  const behind: ChainFinding[] = [];
  if (report.head < cursor.seq) {
    behind.push({
      problem: "head-below-verified",
      seq: cursor.seq,
      message: `The newest audit event is #${report.head}, but #${cursor.seq} was verified before: the newest events were deleted.`,
    });
  } else if (cursor.seq > 0) {
    const [row] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = ${cursor.seq}`);
    if (row?.hash !== cursor.hash)
      behind.push({
        problem: "rewritten-behind",
        seq: cursor.seq,
        message: `Audit event #${cursor.seq} changed after it was verified: history was rewritten.`,
      });
  }
  if (behind.length > 0) {
    // Raised once; from here on the rows as they are now are the base the next rows are checked against.
    const [top] = await db.execute<{ seq: string; hash: string }>(sql`select seq, hash from audit_events order by seq desc limit 1`);
    state.cursor = top ? { seq: Number(top.seq), hash: top.hash } : { seq: 0, hash: GENESIS_HASH };
    findings.push(...behind);
  } else {
    for (;;) {
      const rows: ChainRow[] = await db
        .select()
        .from(auditEvents)
        .where(sql`${auditEvents.seq} > ${state.cursor.seq}`)
        .orderBy(auditEvents.seq)
        .limit(PAGE);
      if (rows.length === 0) break;
      findings.push(...verifyChain(rows, state.cursor).map(chainFinding));
      const last = rows[rows.length - 1]!;
      state.cursor = { seq: last.seq, hash: last.hash };
    }
  }
  state.raised ??= new Set();
  for (const f of findings) await raiseAlert(f, state.raised);
  return findings;
}

/** The worker loop: one watcher at a time across workers; `null` from a run means another worker holds the lock. */
export async function watchExclusive(state: WatchState, checkpointFile: string, log: Logger): Promise<ChainFinding[] | null> {
  const run = await withSessionLock(WATCH_LOCK, () => watchOnce(state, checkpointFile));
  if (run.ran && run.value.length > 0) log.error({ findings: run.value.map((f) => f.message) }, "audit chain problem");
  return run.ran ? run.value : null;
}
