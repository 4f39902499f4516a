import "server-only";
import type { KeyObject } from "node:crypto";
import { env } from "@/server/env";

/*
 * What a verification could not check (issue 16, M1): with no checkpoint file, or no public key,
 * the checkpoints left are the trail's own — in the hands of whoever holds the database. Those gaps
 * are problems, not notes: `audit:verify` exits 1 on them (unless told otherwise) and the audit
 * page's "Verify chain" lists them with the checkpoints' problems.
 */

export interface UncheckedInput {
  file: string;
  /** Checkpoints read from the file (0 when it does not exist). */
  fileEntries: number;
  /** audit.checkpoint events in the trail. */
  trailCheckpoints: number;
  /** Events in the trail. */
  events: number;
  publicKey: KeyObject | null;
}

/** One sentence per gap, or undefined. */
export function uncheckedCheckpoints(i: UncheckedInput): { fileMissing?: string; signaturesMissing?: string } {
  const fileExpected = i.trailCheckpoints > 0 || i.events > env.AUDIT_CHECKPOINT_EVERY;
  return {
    fileMissing:
      i.fileEntries === 0 && fileExpected
        ? `checkpoint file not checked: ${i.file} holds no checkpoint, yet the trail has ${i.trailCheckpoints} checkpoint event(s) and ${i.events} event(s)`
        : undefined,
    signaturesMissing:
      !i.publicKey && i.fileEntries + i.trailCheckpoints > 0 ? "signatures not checked: no public key to check the checkpoints with" : undefined,
  };
}
