import type { Task } from "graphile-worker";
import { and, eq, inArray, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { sweepExpired } from "@/server/grants/lifecycle";
import { env } from "@/server/env";
import { jobKeys } from "@/server/jobs/enqueue";

const payload = z.object({ grantId: z.string().uuid() });

/**
 * The per-grant safety net behind the worker's expiry timer (it runs a little after the expiry,
 * so normally the timer's bulk sweep has removed the grant and deleted this job already). Sweeps
 * what is due; if this grant is still due afterwards, another sweep holds it (check again soon)
 * or its removal failed (throw, so graphile-worker retries with backoff).
 */
export const grants__expire: Task = async (raw, helpers) => {
  const { grantId } = payload.parse(raw);
  await sweepExpired();
  const [stillDue] = await db
    .select({ state: grants.state, claimedAt: grants.claimedAt, lastError: grants.lastError })
    .from(grants)
    .where(and(eq(grants.id, grantId), inArray(grants.state, ["active", "replicating", "expiring"]), lte(grants.expiresAt, sql`now()`)));
  if (!stillDue) return;
  if (stillDue.lastError) throw new Error(`grant ${grantId} is still in the directory: ${stillDue.lastError}`);
  // Held by another sweep (its claim not yet committed, or its lease still running): look again after it.
  const leaseEnds = stillDue.claimedAt ? stillDue.claimedAt.getTime() + env.GRANT_LEASE_SECONDS * 1000 : Date.now();
  await helpers.addJob("grants__expire", { grantId }, { jobKey: jobKeys.expire(grantId), jobKeyMode: "replace", runAt: new Date(Math.max(leaseEnds, Date.now()) + 2000) });
};
