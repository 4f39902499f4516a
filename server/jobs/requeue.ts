import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";

/**
 * A worker stopping on SIGTERM gives back the jobs it had to cut short: unlocked, due now, and the
 * cut attempt not counted (it was not the task's failure), so another worker runs them at once —
 * not after graphile-worker's retry backoff, nor four hours later for a job left locked. Only jobs
 * still locked by this process's workers, or already unlocked by graphile's forceful shutdown.
 */
export async function requeueCutJobs(jobIds: string[], workerIds: string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  const result = await db.execute(sql`
    update graphile_worker._private_jobs
    set locked_at = null, locked_by = null, run_at = now(), attempts = greatest(attempts - 1, 0)
    where id = any(${`{${jobIds.join(",")}}`}::bigint[])
      and (locked_by is null or locked_by = any(${`{${workerIds.map((w) => `"${w}"`).join(",")}}`}::text[]))`);
  return result.count ?? 0;
}
