import { and, eq, inArray, lte, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { outageKnown } from "@/server/directory/outages";
import { IN_DIRECTORY_STATES, isInDirectory, REMOVING_STATE } from "@/server/grants/states";
import { sweepExpired } from "@/server/grants/sweep";
import { env } from "@/server/env";
import { jobKeys, jobs } from "@/server/jobs/registry";
import { defineTask } from "../define-task";

/** The grant while it is due and not yet removed, with how long its removal lease has left. */
async function dueGrant(grantId: string) {
  const [row] = await db
    .select({
      state: grants.state,
      claimedAt: grants.claimedAt,
      lastError: grants.lastError,
      leaseLapsed: sql<boolean>`${grants.claimedAt} < now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS})`,
    })
    .from(grants)
    .where(and(eq(grants.id, grantId), inArray(grants.state, [...IN_DIRECTORY_STATES, REMOVING_STATE]), lte(grants.expiresAt, sql`now()`)));
  return row;
}

/**
 * The per-grant safety net behind the worker's expiry timer (it runs a little after the expiry,
 * so normally the timer's bulk sweep has removed the grant and deleted this job already). Sweeps
 * only when nobody holds the grant: when thousands expire together, the jobs of grants a sweep is
 * still working through must not start sweeps of their own beside it. If the grant is still due
 * afterwards, another sweep holds it (check again soon) or its removal failed (throw, so
 * graphile-worker retries with backoff).
 */
export const grants__expire = defineTask("grants__expire", async ({ grantId }, { helpers }) => {
  const before = await dueGrant(grantId);
  if (!before) return;
  // The timer sweeps the moment the directory answers again (worker/directory-probe.ts wakes it).
  if (outageKnown()) throw new Error(`grant ${grantId} waits for the directory (open outage)`);
  if (isInDirectory(before.state) || before.leaseLapsed) await sweepExpired();
  const stillDue = await dueGrant(grantId);
  if (!stillDue) return;
  if (stillDue.lastError) throw new Error(`grant ${grantId} is still in the directory: ${stillDue.lastError}`);
  // Held by another sweep (its claim not yet committed, or its lease still running): look again after it.
  const leaseEnds = stillDue.claimedAt ? stillDue.claimedAt.getTime() + env.GRANT_LEASE_SECONDS * 1000 : Date.now();
  await helpers.addJob(
    "grants__expire",
    { grantId },
    {
      jobKey: jobKeys.expire(grantId),
      jobKeyMode: "replace",
      maxAttempts: jobs.grants__expire.maxAttempts,
      runAt: new Date(Math.max(leaseEnds, Date.now()) + 2000),
    },
  );
});
