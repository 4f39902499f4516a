import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { GRANT_STATES } from "@/server/grants/states";

/*
 * The database-wide figures, read when Prometheus scrapes (./metrics.ts registers them as gauges):
 * two aggregate queries, no row leaves Postgres.
 */

/** Grants per state, every state present (0 when none). */
export async function grantsByState(db: Executor): Promise<Record<string, number>> {
  const rows = await db.execute<{ state: string; n: number }>(sql`select state::text as state, count(*)::int as n from grants group by state`);
  const counts = Object.fromEntries(GRANT_STATES.map((s) => [s, 0]));
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

export interface QueueFigures {
  /** Runnable now: due, not locked, attempts left. */
  due: number;
  /** Waiting for their run_at. */
  scheduled: number;
  /** Being worked on (locked by a worker). */
  running: number;
  /** Out of attempts: graphile-worker keeps them until they are deleted. */
  failed: number;
  /** Age of the oldest runnable job past its run_at (0 with none). */
  oldestDueSeconds: number;
}

export async function jobQueue(db: Executor): Promise<QueueFigures> {
  const [row] = await db.execute<{ due: number; scheduled: number; running: number; failed: number; oldest: number | null }>(sql`
    select count(*) filter (where is_available and run_at <= now())::int as due,
           count(*) filter (where is_available and run_at > now())::int as scheduled,
           count(*) filter (where locked_at is not null)::int as running,
           count(*) filter (where locked_at is null and attempts >= max_attempts)::int as failed,
           extract(epoch from now() - min(run_at) filter (where is_available and run_at <= now()))::float8 as oldest
      from graphile_worker._private_jobs`);
  return {
    due: row?.due ?? 0,
    scheduled: row?.scheduled ?? 0,
    running: row?.running ?? 0,
    failed: row?.failed ?? 0,
    oldestDueSeconds: Math.max(0, row?.oldest ?? 0),
  };
}
