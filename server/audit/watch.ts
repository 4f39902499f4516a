import "server-only";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { withSessionLock } from "@/server/jobs/locks";
import { GENESIS_HASH, verifyChain, type ChainProblem, type ChainRow } from "./chain";
import { lastCheckpointInFile, type CheckpointEntry } from "./checkpoints-file";
import { trustedPublicKey } from "./checkpoints-key";
import { checkSignature } from "./checkpoints-sign";
import { describeCheckpointProblem, newestCheckpointInTrail, verifyCheckpoints, type CheckpointProblem } from "./checkpoints-verify";
import { raiseAlert, type ChainFinding } from "./watch-alerts";

/*
 * Continuous verification (worker): every few seconds, the rows appended since the last verified
 * (seq, hash) are checked, the verified row is checked to still carry its hash (a rewrite behind
 * the cursor), and the newest checkpoints (file and trail) are checked against their rows. A
 * problem becomes an alert once (server/audit/watch-alerts.ts). The cursor starts from the newest
 * valid signed checkpoint, so a restart does not re-read the whole trail.
 */

const WATCH_LOCK = 0x1a7e_a0c2;
const PAGE = 5000;

export interface WatchState {
  cursor?: { seq: number; hash: string };
  /** The newest audit.checkpoint event seen, and the head up to which the trail was searched for one. */
  trailCheckpoint?: CheckpointEntry | null;
  searchedTo?: number;
}

/** The newest checkpoint event, reading only the rows appended since the last pass. */
async function trailCheckpoint(state: WatchState): Promise<CheckpointEntry | null> {
  const [top] = await db.execute<{ seq: string | null }>(sql`select max(seq) as seq from audit_events`);
  const head = Number(top?.seq ?? 0);
  // A head that went back (rows deleted) is searched again from the start.
  const from = state.searchedTo !== undefined && head >= state.searchedTo ? state.searchedTo : 0;
  const found = await newestCheckpointInTrail(db, from);
  if (found) state.trailCheckpoint = found;
  state.searchedTo = head;
  return state.trailCheckpoint ?? null;
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
  const anchors = [lastCheckpointInFile(checkpointFile), await trailCheckpoint(state)];
  // The newest checkpoints still agree with their rows, and the head is not below them.
  const report = await verifyCheckpoints(
    db,
    anchors.filter((a): a is CheckpointEntry => a !== null),
    trustedPublicKey(),
  );
  // A file of another installation (or an old dev database) is not this chain's: ignored. A
  // checkpoint in this very trail that names another first event means the start was rewritten.
  const ignored = (p: CheckpointProblem) => p.kind === "other-key" || (p.kind === "other-chain" && !p.where.startsWith("audit event"));
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
  for (const f of findings) await raiseAlert(f);
  return findings;
}

/** The worker loop: one watcher at a time across workers; `null` from a run means another worker holds the lock. */
export async function watchExclusive(state: WatchState, checkpointFile: string, log: Logger): Promise<ChainFinding[] | null> {
  const run = await withSessionLock(WATCH_LOCK, () => watchOnce(state, checkpointFile));
  if (run.ran && run.value.length > 0) log.error({ findings: run.value.map((f) => f.message) }, "audit chain problem");
  return run.ran ? run.value : null;
}
