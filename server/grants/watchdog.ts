import "server-only";
import { sql } from "drizzle-orm";
import { jobExists, jobKeyFor } from "@/server/jobs/queue";
import { jobs } from "@/server/jobs/registry";
import { db } from "@/db";
import { env } from "@/server/env";
import { scheduleActivation } from "./schedule";
import { stateSql } from "./state-sql";

/**
 * The activation watchdog. Re-queues activations nobody is working on: the grant waits (pending, or provisioning with a
 * lapsed lease) and no runnable job exists for it — e.g. its job is still locked by a worker that
 * was killed (graphile-worker frees such locks only after hours). Cheap; the worker runs it often.
 */
export async function requeueStuckActivations(): Promise<number> {
  const lease = env.GRANT_LEASE_SECONDS;
  const stuck = await db.execute<{ id: string }>(sql`
    select g.id from grants g
    where ((g.state = ${stateSql("pending")} and g.updated_at < now() - make_interval(secs => ${lease}) and (g.starts_at is null or g.starts_at <= now()))
        or (g.state = ${stateSql("provisioning")} and g.claimed_at < now() - make_interval(secs => ${lease})))
      -- A job waiting to run, or one a live worker picked up recently, is not stuck.
      and not ${jobExists(jobKeyFor(jobs.grants__activate.key, sql`g.id`), { liveLeaseSeconds: lease })}
    limit 1000`);
  if (stuck.length === 0) return 0;
  await db.transaction(async (tx) => {
    // Replacing a key whose job is locked creates a fresh job, which is what we want here.
    for (const g of stuck) await scheduleActivation(tx, g.id);
  });
  return stuck.length;
}
