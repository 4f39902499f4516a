import type { Task } from "graphile-worker";
import { and, eq, inArray, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { sweepExpired } from "@/server/grants/lifecycle";

const payload = z.object({ grantId: z.string().uuid() });

/**
 * The per-grant safety net behind the worker's expiry timer: sweeps everything due (in bulk,
 * one modify per group) and fails — so graphile-worker retries — while this grant is still due.
 */
export const grants__expire: Task = async (raw) => {
  const { grantId } = payload.parse(raw);
  await sweepExpired();
  const [stillDue] = await db
    .select({ id: grants.id, lastError: grants.lastError })
    .from(grants)
    .where(and(eq(grants.id, grantId), inArray(grants.state, ["active", "expiring"]), lte(grants.expiresAt, sql`now()`)));
  if (stillDue) throw new Error(`grant ${grantId} is still in the directory: ${stillDue.lastError ?? "removal in progress elsewhere"}`);
};
