import "server-only";
import path from "node:path";
import { db } from "@/db";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { readCheckpointFile } from "./checkpoints-file";
import { trustedPublicKey } from "./checkpoints-key";
import { checkpointsInTrail, describeCheckpointProblem, verifyCheckpoints } from "./checkpoints-verify";
import { verifyAuditChain } from "./service";

/**
 * The audit page's "Verify chain": the chain, and the checkpoints (this host's checkpoint file, if
 * it has one, and the `audit.checkpoint` events) checked against it.
 */
export async function verifyChainAndCheckpoints(user: SessionUser) {
  assertCan(user, "read", "Audit");
  const chain = await verifyAuditChain(db);
  const fromFile = readCheckpointFile(path.resolve(env.AUDIT_CHECKPOINT_FILE));
  const report = await verifyCheckpoints(db, [...fromFile, ...(await checkpointsInTrail(db))], trustedPublicKey());
  return {
    ...chain,
    checkpoints: {
      count: report.count,
      inFile: fromFile.length,
      signaturesChecked: report.signaturesChecked,
      newest: report.newest,
      problems: report.problems.map((p) => ({ kind: p.kind, text: describeCheckpointProblem(p) })),
    },
  };
}
