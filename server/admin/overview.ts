import "server-only";
import { and, asc, eq, isNull } from "drizzle-orm";
import { requests } from "@/db/schema";
import { requestSummaries } from "@/server/approvals/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { workerStatuses } from "@/server/ops/heartbeat";

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
