import "server-only";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, fstatSync, writeSync } from "node:fs";
import path from "node:path";
import type { Checkpoint } from "./checkpoints-sign";

/** One line of a checkpoint file (or one audit.checkpoint event): where it was found and what it holds. */
export interface CheckpointEntry {
  /** `checkpoint file line 12`, `audit event #1043`. */
  where: string;
  raw: unknown;
}

/**
 * Appends one checkpoint as a JSON line and fsyncs it before returning: a checkpoint the worker
 * reported written survives a crash of the machine.
 */
export function appendCheckpoint(file: string, checkpoint: Checkpoint): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const fd = openSync(file, "a", 0o640);
  try {
    writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parseLine(line: string, where: string): CheckpointEntry {
  try {
    return { where, raw: JSON.parse(line) as unknown };
  } catch {
    return { where, raw: null };
  }
}

/** Every checkpoint in the file (none when it does not exist); a line that is not JSON comes back with `raw: null`. */
export function readCheckpointFile(file: string): CheckpointEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line, i) => (line.trim() ? [parseLine(line, `checkpoint file line ${i + 1}`)] : []));
}

/** The file's last checkpoint, reading its tail only (the worker does this every few seconds). */
export function lastCheckpointInFile(file: string): CheckpointEntry | null {
  if (!existsSync(file)) return null;
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 8192);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf
      .toString("utf8")
      .split("\n")
      .filter((l) => l.trim());
    const last = lines[lines.length - 1];
    return last ? parseLine(last, "checkpoint file (last line)") : null;
  } finally {
    closeSync(fd);
  }
}
