/** `npm run audit:verify`: walks the audit hash chain; exits 1 when a row was edited, deleted or reordered. */
import { closeDb, db } from "@/db";
import { verifyAuditChain } from "@/server/audit/service";

const { checked, problems } = await verifyAuditChain(db);
await closeDb();
if (problems.length === 0) {
  console.log(`audit chain intact: ${checked} events checked`);
  process.exit(0);
}
console.error(`audit chain BROKEN: ${problems.length} problem(s) in ${checked} events`);
for (const p of problems.slice(0, 50)) console.error(`  seq ${p.seq}: ${p.kind}${"expectedSeq" in p ? ` (expected seq ${p.expectedSeq})` : ""}`);
process.exit(1);
