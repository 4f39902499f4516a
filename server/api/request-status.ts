import "server-only";
import { asc, eq } from "drizzle-orm";
import { db } from "@/db";
import { grants, requests } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { notFound } from "@/server/errors";
import { requestTimeline } from "@/server/requests/timeline";

/**
 * One request as automation polls it: its status, its grants' states and its timeline. Who may
 * read it is the timeline's rule (requester, approvers of its levels, admins), checked first.
 */
export async function requestStatus(user: SessionUser, requestId: string) {
  const timeline = await requestTimeline(user, requestId);
  const [request] = await db
    .select({
      requestId: requests.id,
      status: requests.status,
      privilegeId: requests.privilegeId,
      privilegeSetId: requests.privilegeSetId,
      credentialId: requests.credentialId,
      durationMinutes: requests.durationMinutes,
      justification: requests.justification,
      emergency: requests.emergency,
      requestedAt: requests.createdAt,
      decidedAt: requests.decidedAt,
      outcomeComment: requests.outcomeComment,
    })
    .from(requests)
    .where(eq(requests.id, requestId));
  if (!request) throw notFound("No such request.");
  const ofRequest = await db
    .select({ grantId: grants.id, state: grants.state, activatedAt: grants.activatedAt, expiresAt: grants.expiresAt })
    .from(grants)
    .where(eq(grants.requestId, requestId))
    .orderBy(asc(grants.createdAt));
  return { ...request, grants: ofRequest, timeline: timeline.steps };
}
