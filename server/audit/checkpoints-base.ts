import "server-only";
import type { KeyObject } from "node:crypto";
import { statSync } from "node:fs";
import { gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { verifyChain, type ChainRow } from "./chain";
import { readCheckpointFile } from "./checkpoints-file";
import { checkSignature, type Checkpoint } from "./checkpoints-sign";

/*
 * The writer's base (issue 16, H1): the newest checkpoint it may extend. Only what verifies with
 * our key counts — the local file first (the database's administrators cannot write it), then the
 * `audit.checkpoint` rows whose signature verifies (another worker's checkpoints). A row that merely
 * looks like a checkpoint is never a base. While the file holds checkpoints but none verifies, there
 * is no base to sign from: the writer refuses rather than start a new anchor on its own.
 */

export interface Base {
  checkpoint: Checkpoint;
  /** The seq of its own audit.checkpoint event when the trail holds it (that event alone does not make the next one due). */
  eventSeq: number;
}

export class NoValidBase extends Error {
  constructor(file: string) {
    super(
      `not signing a checkpoint: ${file} holds checkpoints but none verifies with this worker's key ` +
        "(another key, or the file was altered); investigate, then move the file aside to start a new anchor",
    );
  }
}

export class ChainDiverged extends Error {
  constructor(seq: number, file: string) {
    super(
      `not signing a checkpoint: the trail no longer extends the signed checkpoint of event #${seq} (see the audit chain alerts); ` +
        `after investigating, move ${file} aside (keep it as evidence) to start a new anchor`,
    );
  }
}

/** What the writer caches between ticks: the file's newest valid checkpoint, re-read only when the file changes. */
export interface BaseCache {
  fileStamp?: string;
  fromFile?: Checkpoint | null;
  fileHasLines?: boolean;
}

function newest(a: Checkpoint | null, b: Checkpoint | null): Checkpoint | null {
  if (!a) return b;
  if (!b) return a;
  return b.seq > a.seq ? b : a;
}

function fileBase(cache: BaseCache, file: string, key: KeyObject): { best: Checkpoint | null; hasLines: boolean } {
  let stamp = "absent";
  try {
    const s = statSync(file);
    stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    // No file: no checkpoints in it.
  }
  if (cache.fileStamp !== stamp) {
    const entries = readCheckpointFile(file);
    let best: Checkpoint | null = null;
    for (const e of entries) {
      const { verdict, checkpoint } = checkSignature(key, e.raw);
      if (verdict === "valid" && checkpoint) best = newest(best, checkpoint);
    }
    Object.assign(cache, { fileStamp: stamp, fromFile: best, fileHasLines: entries.length > 0 });
  }
  return { best: cache.fromFile ?? null, hasLines: cache.fileHasLines ?? false };
}

/** The newest trail checkpoint that verifies with our key (rows with a bad signature or another key are skipped). */
async function trailBase(key: KeyObject): Promise<{ checkpoint: Checkpoint; eventSeq: number } | null> {
  const rows = await db.execute<{ seq: string; data: unknown }>(
    sql`select seq, data from audit_events where action = 'audit.checkpoint' order by case when data->>'seq' ~ '^[0-9]{1,15}$' then (data->>'seq')::bigint end desc nulls last, seq desc limit 200`,
  );
  for (const r of rows) {
    const { verdict, checkpoint } = checkSignature(key, r.data);
    if (verdict === "valid" && checkpoint) return { checkpoint, eventSeq: Number(r.seq) };
  }
  return null;
}

/**
 * The base to extend: null when there is none (a new anchor: the file holds no checkpoint at all).
 * Throws NoValidBase when the file holds lines but none verifies.
 */
export async function writerBase(cache: BaseCache, file: string, key: KeyObject): Promise<Base | null> {
  const fromFile = fileBase(cache, file, key);
  if (!fromFile.best) {
    if (fromFile.hasLines) throw new NoValidBase(file);
    // A new anchor (first start, or the operator moved the old file aside): the trail's rows are not trusted as a base.
    return null;
  }
  const fromTrail = await trailBase(key);
  if (fromTrail && fromTrail.checkpoint.seq > fromFile.best.seq) return fromTrail;
  const eventSeq = fromTrail && fromTrail.checkpoint.seq === fromFile.best.seq ? fromTrail.eventSeq : fromFile.best.seq;
  return { checkpoint: fromFile.best, eventSeq };
}

/** The trail extends the base: same first event, the base's row still has its hash, and every row since links on from it. */
export async function extendsBase(base: Checkpoint): Promise<boolean> {
  const [first] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = 1`);
  if (first?.hash !== base.chain) return false;
  const [row] = await db.execute<{ hash: string }>(sql`select hash from audit_events where seq = ${base.seq}`);
  if (row?.hash !== base.hash) return false;
  let prev = { seq: base.seq, hash: base.hash };
  for (;;) {
    const rows: ChainRow[] = await db.select().from(auditEvents).where(gt(auditEvents.seq, prev.seq)).orderBy(auditEvents.seq).limit(5000);
    if (rows.length === 0) return true;
    if (verifyChain(rows, prev).length > 0) return false;
    const end = rows[rows.length - 1]!;
    prev = { seq: end.seq, hash: end.hash };
  }
}
