import "server-only";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { requests } from "@/db/schema";
import { requestSummaries } from "@/server/approvals/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { workerStatuses } from "@/server/ops/heartbeat";
import { openOutages } from "@/server/directory/outages";
import { stateSql, statesSql } from "@/server/grants/state-sql";
import { DUE_STATES, REMOVING_STATE } from "@/server/grants/states";

/**
 * Emergency access granted without approval that no approver has reviewed yet, oldest first:
 * the administration overview flags them until the group's approvers look at them in their inbox.
 * (The access group is named as it was when the request was checked.)
 */
export async function unreviewedEmergencies(user: SessionUser) {
  assertCan(user, "manage", "Request");
  return requestSummaries()
    .where(and(eq(requests.emergency, true), eq(requests.status, "approved"), isNull(requests.reviewedAt)))
    .orderBy(asc(requests.createdAt));
}

/** The workers that wrote a heartbeat in the last day: host, version and how long ago, freshest first. */
export async function workers(user: SessionUser) {
  assertCan(user, "manage", "Request");
  const rows = await workerStatuses();
  return rows.map((w) => ({
    host: w.host,
    pid: w.pid,
    version: w.version,
    concurrency: w.concurrency,
    startedAt: w.startedAt,
    ageSeconds: Math.round(w.ageSeconds),
  }));
}
/**
 * Open directory outages (server/directory/outages.ts) with what waits for them: removals due
 * (or held by a sweep that could not write them) and activations whose time has come.
 */
export async function directoryOutageBanner(user: SessionUser) {
  assertCan(user, "revoke", "Grant");
  const open = await openOutages();
  if (open.length === 0) return [];
  const due = sql.join(
    DUE_STATES.map((s) => sql`(state = ${stateSql(s)} and expires_at <= now())`),
    sql` or `,
  );
  const [waiting] = await db.execute<{ removals: number; activations: number }>(sql`
    select count(*) filter (where ${due} or state = ${stateSql(REMOVING_STATE)})::int as removals,
           count(*) filter (where state = ${stateSql("pending")} and (starts_at is null or starts_at <= now()))::int as activations
    from grants where state in ${statesSql([...DUE_STATES, REMOVING_STATE, "pending"])}`);
  return open.map((o) => ({
    dcHosts: o.dcUrl.split(",").map(hostOf),
    since: o.startedAt,
    lastError: o.lastError,
    removalsWaiting: waiting?.removals ?? 0,
    activationsWaiting: waiting?.activations ?? 0,
  }));
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}
