import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { privileges, requests, users } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";

/**
 * Emergency access granted without approval that no approver has reviewed yet, oldest first:
 * the administration overview flags them until the group's approvers look at them in their inbox.
 */
export async function unreviewedEmergencies(user: SessionUser) {
  assertCan(user, "manage", "Request");
  return db
    .select({
      requestId: requests.id,
      requester: users.username,
      requesterName: users.displayName,
      privilege: privileges.name,
      // The group as it was when the request was checked; it may have been renamed or deleted since.
      accessGroup: sql<string | null>`${requests.policy} -> 'group' ->> 'name'`,
      requestedAt: requests.createdAt,
      justification: requests.justification,
    })
    .from(requests)
    .innerJoin(users, eq(users.id, requests.requesterId))
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .where(and(eq(requests.emergency, true), eq(requests.status, "approved"), isNull(requests.reviewedAt)))
    .orderBy(asc(requests.createdAt));
}
