import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { runAuditVerify } from "../support/audit-verify";
import { asTableOwner, resetDatabase } from "./fixtures";

describe("npm run audit:verify", () => {
  beforeEach(async () => {
    await resetDatabase();
    // Six events in three transactions, as the worker writes them.
    for (let n = 0; n < 3; n++) {
      await db.transaction((tx) =>
        recordAudit(tx, SYSTEM_ACTOR, [
          { action: "grant.cancelled", targetType: "grant", targetId: `g-${n}`, data: { reason: `first ${n}` } },
          { action: "grant.cancelled", targetType: "grant", targetId: `g-${n}`, data: { reason: `second ${n}` } },
        ]),
      );
    }
  });

  it("passes an intact trail, then names a modified row and exits 1; the restored row passes again", async () => {
    const intact = await runAuditVerify();
    expect(intact).toMatchObject({ code: 0 });
    expect(intact.out).toContain("audit chain intact: 6 events checked");

    await asTableOwner(sql`update audit_events set data = '{"reason":"nothing happened"}'::jsonb where seq = 3`);
    const modified = await runAuditVerify();
    expect(modified.code).toBe(1);
    expect(modified.out).toContain("audit chain BROKEN: 1 problem(s) in 6 events");
    expect(modified.out).toContain("seq 3: hash-mismatch");

    // The verdict follows the content: with the original data back, the chain holds again.
    await asTableOwner(sql`update audit_events set data = '{"reason":"first 1"}'::jsonb where seq = 3`);
    expect(await runAuditVerify()).toMatchObject({ code: 0 });
  }, 120_000);

  it("names a deleted row and exits 1", async () => {
    await asTableOwner(sql`delete from audit_events where seq = 4`);
    const deleted = await runAuditVerify();
    expect(deleted.code).toBe(1);
    expect(deleted.out).toContain("in 5 events");
    expect(deleted.out).toContain("seq 5: gap (expected seq 4)");
    expect(deleted.out).toContain("seq 5: broken-link");
  }, 120_000);
});
