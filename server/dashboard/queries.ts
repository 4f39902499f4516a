import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { db } from "@/db";
import { requestStatus } from "@/db/schema";
import { statesSql } from "@/server/grants/state-sql";
import { LIVE_GRANT_STATES } from "@/server/grants/states";
import { OUTCOME_DAYS, RANGE_BUCKETS, TOP_PRIVILEGE_DAYS, TOP_PRIVILEGE_LIMIT, type DashboardRange } from "./schemas";

/*
 * The dashboard's aggregates, one statement each, computed in Postgres over generate_series
 * buckets (UTC, aligned with date_bin to whole hours / six hours / days) so that an empty bucket
 * is a zero, not a gap. `now` is a parameter so tests can pin the buckets.
 */

export type RequestOutcome = (typeof requestStatus.enumValues)[number];
export const REQUEST_OUTCOMES = requestStatus.enumValues;

const iso = (d: Date) => d.toISOString();
const ORIGIN = sql`timestamptz '2000-01-01T00:00:00Z'`;
/** Milliseconds since the epoch, as a JS number (postgres-js hands timestamps over as strings). */
const epochMs = (col: SQL) => sql`(extract(epoch from ${col}) * 1000)::float8`;

/**
 * The first bucket's start: each query keeps only the rows of the whole window (one pass over the
 * table) before matching them to buckets, so the bucket join never scans the table per bucket.
 */
const FIRST = sql`(select min(start) from buckets)`;

/** Plain arrays (postgres-js answers with its own array type, which the client need not see). */
async function rows<T>(query: SQL): Promise<T[]> {
  return Array.from(await db.execute<Record<string, unknown>>(query)) as T[];
}

/** `buckets(start, stop)`: `count` consecutive buckets of `stepHours`, the last one holding `now`. */
function bucketsCte(now: Date, stepHours: number, count: number): SQL {
  const step = sql`make_interval(hours => ${stepHours}::int)`;
  const last = sql`date_bin(${step}, ${iso(now)}::timestamptz, ${ORIGIN})`;
  return sql`buckets as (
    select s as start, s + ${step} as stop
    from generate_series(${last} - ${step} * ${count - 1}::int, ${last}, ${step}) s
  )`;
}

export interface ActiveGrantsPoint {
  start: number;
  active: number;
}

/**
 * Grants that held access at some moment of each bucket: activated before its end and not removed
 * before its start. A grant still in the directory (no removed_at, a live state) counts up to `now`.
 */
export async function activeGrantsSeries(range: DashboardRange, now: Date): Promise<ActiveGrantsPoint[]> {
  const { stepHours, buckets } = RANGE_BUCKETS[range];
  return rows<ActiveGrantsPoint>(sql`
    with ${bucketsCte(now, stepHours, buckets)}
    select ${epochMs(sql`b.start`)} as start, count(g.id)::int as active
    from buckets b
    left join (
      select id, activated_at, removed_at from grants
      where activated_at < ${iso(now)}::timestamptz
        and (removed_at > ${FIRST} or (removed_at is null and state in ${statesSql(LIVE_GRANT_STATES)}))
    ) g on g.activated_at < b.stop and (g.removed_at > b.start or g.removed_at is null)
    group by b.start
    order by b.start`);
}

export interface PercentilePoint {
  start: number;
  /** How many grants the percentiles are over. */
  count: number;
  /** Seconds; null for a bucket without grants. */
  p50: number | null;
  p95: number | null;
}

async function percentileSeries(now: Date, range: DashboardRange, at: SQL, seconds: SQL, where: SQL): Promise<PercentilePoint[]> {
  const { stepHours, buckets } = RANGE_BUCKETS[range];
  return rows<PercentilePoint>(sql`
    with ${bucketsCte(now, stepHours, buckets)}
    select ${epochMs(sql`b.start`)} as start, count(g.id)::int as count,
           percentile_cont(0.5) within group (order by ${seconds}) as p50,
           percentile_cont(0.95) within group (order by ${seconds}) as p95
    from buckets b
    left join (select * from grants g where ${where} and ${at} >= ${FIRST} and ${at} <= ${iso(now)}::timestamptz) g on ${at} >= b.start and ${at} < b.stop
    group by b.start
    order by b.start`);
}

/** Expiry lag: how long after its expiry a grant's membership was removed (removed_at − expires_at), by the hour of removal. */
export function expiryLagSeries(range: DashboardRange, now: Date) {
  return percentileSeries(
    now,
    range,
    sql`g.removed_at`,
    sql`extract(epoch from g.removed_at - g.expires_at)`,
    sql`g.end_reason = 'expired' and g.activated_at is not null and g.expires_at is not null`,
  );
}

/**
 * Grant latency: how long after it was due a grant became active (activated_at − due), by the
 * hour of activation. Due is when the grant was created (the request's final approval, or at once
 * without approval), or its start time when it was scheduled later.
 */
export function grantLatencySeries(range: DashboardRange, now: Date) {
  return percentileSeries(
    now,
    range,
    sql`g.activated_at`,
    sql`extract(epoch from g.activated_at - greatest(g.created_at, coalesce(g.starts_at, g.created_at)))`,
    sql`g.activated_at is not null`,
  );
}

export type OutcomesPoint = { start: number } & Record<RequestOutcome, number>;

/** Requests (access and extensions) per UTC day of submission, by their status now. */
export async function requestOutcomesPerDay(now: Date): Promise<OutcomesPoint[]> {
  const counts = sql.join(
    REQUEST_OUTCOMES.map((s) => sql`count(r.id) filter (where r.status = ${s})::int as ${sql.identifier(s)}`),
    sql`, `,
  );
  return rows<OutcomesPoint>(sql`
    with ${bucketsCte(now, 24, OUTCOME_DAYS)}
    select ${epochMs(sql`b.start`)} as start, ${counts}
    from buckets b
    left join (select id, status, created_at from requests where created_at >= ${FIRST} and created_at <= ${iso(now)}::timestamptz) r
      on r.created_at >= b.start and r.created_at < b.stop
    group by b.start
    order by b.start`);
}

export interface TopPrivilege {
  privilegeId: string;
  name: string;
  requests: number;
  approved: number;
}

/** The privileges asked for most in the last TOP_PRIVILEGE_DAYS days: access requests only (an extension is not a new ask); a set's request counts for its first privilege. */
export async function topRequestedPrivileges(now: Date): Promise<TopPrivilege[]> {
  return rows<TopPrivilege>(sql`
    select p.id as "privilegeId", p.name, count(*)::int as requests, count(*) filter (where r.status = 'approved')::int as approved
    from requests r join privileges p on p.id = r.privilege_id
    where r.kind = 'access'
      and r.created_at > ${iso(now)}::timestamptz - make_interval(days => ${TOP_PRIVILEGE_DAYS}::int)
      and r.created_at <= ${iso(now)}::timestamptz
    group by p.id, p.name
    order by requests desc, p.name
    limit ${TOP_PRIVILEGE_LIMIT}::int`);
}

export type DashboardCounts = {
  activeGrants: number;
  pendingRequests: number;
  openDriftFindings: number;
  unreviewedEmergencies: number;
};

/** The figures in the tiles: each links to the page that lists them. */
export async function dashboardCounts(): Promise<DashboardCounts> {
  const [row] = await db.execute<DashboardCounts>(sql`
    select
      (select count(*) from grants where activated_at is not null and removed_at is null and state in ${statesSql(LIVE_GRANT_STATES)})::int as "activeGrants",
      (select count(*) from requests where status = 'pending')::int as "pendingRequests",
      (select count(*) from drift_findings where resolution is null)::int as "openDriftFindings",
      (select count(*) from requests where emergency and status = 'approved' and reviewed_at is null)::int as "unreviewedEmergencies"`);
  return row!;
}
