import "server-only";
import path from "node:path";
import { db } from "@/db";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { readCheckpointFile } from "./checkpoints-file";
import { trustedPublicKey } from "./checkpoints-key";
import { uncheckedCheckpoints } from "./checkpoints-unchecked";
import { checkpointsInTrail, describeCheckpointProblem, verifyCheckpoints } from "./checkpoints-verify";
import { verifyAuditChain } from "./service";

/**
 * The audit page's "Verify chain": the chain, and the checkpoints (this host's checkpoint file, if
 * it has one, and the `audit.checkpoint` events) checked against it.
 */
export async function verifyChainAndCheckpoints(user: SessionUser) {
  assertCan(user, "read", "Audit");
  const chain = await verifyAuditChain(db);
  const file = path.resolve(env.AUDIT_CHECKPOINT_FILE);
  const fromFile = readCheckpointFile(file);
  const fromTrail = await checkpointsInTrail(db);
  const publicKey = trustedPublicKey();
  const report = await verifyCheckpoints(db, [...fromFile, ...fromTrail], publicKey);
  // What could not be checked is a problem too: the trail's own checkpoints are in the database's hands.
  const unchecked = uncheckedCheckpoints({
    file,
    fileEntries: fromFile.length,
    trailCheckpoints: fromTrail.length,
    events: Math.max(chain.checked, report.head),
    publicKey,
  });
  const gaps = [
    ...(unchecked.fileMissing ? [{ kind: "file-not-checked", text: unchecked.fileMissing }] : []),
    ...(unchecked.signaturesMissing ? [{ kind: "signatures-not-checked", text: unchecked.signaturesMissing }] : []),
  ];
  return {
    ...chain,
    checkpoints: {
      count: report.count,
      inFile: fromFile.length,
      signaturesChecked: report.signaturesChecked,
      newest: report.newest,
      problems: [...gaps, ...report.problems.map((p) => ({ kind: p.kind as string, text: describeCheckpointProblem(p) }))],
    },
  };
}
