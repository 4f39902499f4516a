/**
 * `npm run audit:verify [-- --checkpoints FILE] [--public-key FILE] [--trail-only] [--no-signatures]`:
 * walks the audit hash chain and checks the signed checkpoints (the file the worker appends to, and
 * the `audit.checkpoint` events) against it. Exits 1 when a row was edited, deleted or reordered,
 * when history was rewritten behind a checkpoint (even with every hash recomputed), or when the
 * newest rows were deleted; 1 too when it could not check what matters: no checkpoint file while
 * the trail shows there should be one (any audit.checkpoint event, or more than
 * AUDIT_CHECKPOINT_EVERY events) unless `--trail-only`, or no public key while there are checkpoints
 * unless `--no-signatures` (the trail's own checkpoints are in the hands of whoever holds the
 * database). 2 when a file given cannot be read.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { KeyObject } from "node:crypto";
import { closeDb, db } from "@/db";
import { readCheckpointFile } from "@/server/audit/checkpoints-file";
import { publicKeyFromFile, trustedPublicKey } from "@/server/audit/checkpoints-key";
import { checkpointsInTrail, describeCheckpointProblem, verifyCheckpoints } from "@/server/audit/checkpoints-verify";
import { uncheckedCheckpoints } from "@/server/audit/checkpoints-unchecked";
import { verifyAuditChain } from "@/server/audit/service";
import { env } from "@/server/env";

const { values } = parseArgs({
  options: {
    checkpoints: { type: "string" },
    "public-key": { type: "string" },
    "trail-only": { type: "boolean", default: false },
    "no-signatures": { type: "boolean", default: false },
  },
});

function usage(message: string): never {
  console.error(`audit:verify: ${message}`);
  process.exit(2);
}

const file = path.resolve(values.checkpoints ?? env.AUDIT_CHECKPOINT_FILE);
if (values.checkpoints && !existsSync(file)) usage(`no checkpoint file at ${file}`);
let publicKey: KeyObject | null;
try {
  publicKey = values["public-key"] ? publicKeyFromFile(values["public-key"]) : trustedPublicKey();
} catch (err) {
  usage(`cannot read the public key ${values["public-key"]}: ${err instanceof Error ? err.message : String(err)}`);
}

const { checked, problems } = await verifyAuditChain(db);
const fromFile = readCheckpointFile(file);
const fromTrail = await checkpointsInTrail(db);
const report = await verifyCheckpoints(db, [...fromFile, ...fromTrail], publicKey);
await closeDb();

let broken = false;
if (problems.length === 0) console.log(`audit chain intact: ${checked} events checked`);
else {
  broken = true;
  console.error(`audit chain BROKEN: ${problems.length} problem(s) in ${checked} events`);
  for (const p of problems.slice(0, 50)) console.error(`  seq ${p.seq}: ${p.kind}${"expectedSeq" in p ? ` (expected seq ${p.expectedSeq})` : ""}`);
}

console.log(existsSync(file) ? `checkpoint file ${file}: ${fromFile.length} checkpoint(s)` : `no checkpoint file at ${file}`);
const unchecked = uncheckedCheckpoints({
  file,
  fileEntries: fromFile.length,
  trailCheckpoints: fromTrail.length,
  events: Math.max(checked, report.head),
  publicKey,
});
if (unchecked.fileMissing) {
  if (values["trail-only"]) console.warn("checkpoint file NOT checked (--trail-only): only the checkpoints in the trail are checked");
  else {
    broken = true;
    console.error(`${unchecked.fileMissing} — pass --checkpoints FILE (a copy of the worker's file), or --trail-only to check the trail alone`);
  }
}
if (unchecked.signaturesMissing) {
  if (values["no-signatures"]) console.warn("signatures NOT checked (--no-signatures)");
  else {
    broken = true;
    console.error(`${unchecked.signaturesMissing} — pass --public-key FILE (or set AUDIT_SIGNING_KEY_FILE), or --no-signatures`);
  }
}
const newest = report.newest ? `; newest covers seq ${report.newest.seq} (signed ${report.newest.at}, ${report.newest.where})` : "";
console.log(`checkpoints: ${report.count} checked (${fromTrail.length} in the trail), head seq ${report.head}${newest}`);
if (report.problems.length === 0) console.log("checkpoints agree with the trail");
else {
  broken = true;
  console.error(`checkpoints BROKEN: ${report.problems.length} problem(s)`);
  for (const p of report.problems.slice(0, 50)) console.error(`  ${describeCheckpointProblem(p)}`);
}
process.exit(broken ? 1 : 0);
