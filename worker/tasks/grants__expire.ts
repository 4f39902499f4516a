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
 * The per-grant safety net behind the worker's expiry timer: sweeps everything due (in bulk, one
 * modify per group). If this grant is still due afterwards, either another sweep holds its lease
 * (check again when the lease lapses) or removal failed (throw, so graphile-worker retries).
 */
export const grants__expire: Task = async (raw, helpers) => {
  const { grantId } = payload.parse(raw);
  await sweepExpired();
  const [stillDue] = await db
    .select({ state: grants.state, claimedAt: grants.claimedAt, lastError: grants.lastError })
    .from(grants)
    .where(and(eq(grants.id, grantId), inArray(grants.state, ["active", "expiring"]), lte(grants.expiresAt, sql`now()`)));
  if (!stillDue) return;
  const leaseEnds = stillDue.claimedAt ? stillDue.claimedAt.getTime() + env.GRANT_LEASE_SECONDS * 1000 : 0;
  if (stillDue.state === "expiring" && !stillDue.lastError && leaseEnds > Date.now()) {
    await helpers.addJob("grants__expire", { grantId }, { jobKey: jobKeys.expire(grantId), jobKeyMode: "replace", runAt: new Date(leaseEnds + 1000) });
    return;
  }
  throw new Error(`grant ${grantId} is still in the directory: ${stillDue.lastError ?? "removal not confirmed"}`);
};
