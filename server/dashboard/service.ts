import "server-only";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { activeGrantsSeries, dashboardCounts, expiryLagSeries, grantLatencySeries, requestOutcomesPerDay, topRequestedPrivileges } from "./queries";
import type { TimelineInput } from "./inputs";

/*
 * The administration overview's dashboard: read-only aggregates for administrators. `now` is only
 * ever passed by tests (the procedures use the clock).
 */

/** Active grants, expiry lag and grant latency over the chosen range (hourly for 24 h, six-hourly for 7 days). */
export async function dashboardTimeline(user: SessionUser, input: TimelineInput, now = new Date()) {
  assertCan(user, "manage", "Request");
  const [activeGrants, expiryLag, grantLatency] = await Promise.all([
    activeGrantsSeries(input.range, now),
    expiryLagSeries(input.range, now),
    grantLatencySeries(input.range, now),
  ]);
  return { range: input.range, until: now, activeGrants, expiryLag, grantLatency };
}

/** Requests per day by outcome, the most requested privileges, and the counts that link to their pages. */
export async function dashboardSummary(user: SessionUser, now = new Date()) {
  assertCan(user, "manage", "Request");
  const [outcomes, topPrivileges, counts] = await Promise.all([requestOutcomesPerDay(now), topRequestedPrivileges(now), dashboardCounts()]);
  return { until: now, outcomes, topPrivileges, counts };
}
