import "server-only";
import { eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { env } from "@/server/env";
import { emitNotification } from "@/server/notifications/emit";
import { scheduleExpiryWarning } from "./schedule";
import { isInDirectory } from "./states";

/**
 * The warning job: the grant still ends as planned, and nobody was warned for this end yet. Run
 * early (an extension moved the end, or the process that queued it counts another lead time),
 * it queues itself again for the right moment.
 */
export async function warnExpiring(grantId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [grant] = await tx.select().from(grants).where(eq(grants.id, grantId)).for("update");
    // The database's clock, the one expires_at and the job's run_at were set by.
    const [clock] = await tx.execute<{ now: Date | string }>(sql`select now() as now`);
    const now = new Date(clock!.now).getTime();
    if (!grant || !isInDirectory(grant.state) || grant.endReason || !grant.expiresAt || grant.expiresAt.getTime() <= now) return false;
    if (grant.warnedFor?.getTime() === grant.expiresAt.getTime()) return false;
    if (grant.expiresAt.getTime() > now + env.EXPIRY_WARNING_MINUTES * 60_000 + 5_000) {
      await scheduleExpiryWarning(tx, grant);
      return false;
    }
    await tx.update(grants).set({ warnedFor: grant.expiresAt }).where(eq(grants.id, grantId));
    await emitNotification(tx, "expiring_soon", [{ requestId: grant.requestId, grantId }]);
    return true;
  });
}
