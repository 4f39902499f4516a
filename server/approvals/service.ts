import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull, lte, sql } from "drizzle-orm";
import { db } from "@/db";
import { catalogCredentials, grants, privilegeSets, privileges, requestDecisions, requests, users } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditActor, type AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { applyExtension } from "@/server/grants/extend";
import { emitNotification } from "@/server/notifications/emit";
import { grantApprovedRequest } from "@/server/requests/service";
import { isApproverAt, lastLevel, requiredAt } from "./levels";
import { decideInput, type DecideInput } from "./schemas";
import type { z } from "zod";

/*
 * The approval workflow. A request needing approval waits at level 1 of the policy frozen onto it
 * at submission; when a level has its required approvals it moves on, and the last level's
 * approval creates the grant in the same transaction. One denial ends it. Decisions lock the
 * request row, so racing approvers cannot double-approve or skip a level; nobody decides their
 * own request; only approvers of the current level decide.
 */

async function approverGuid(user: SessionUser): Promise<string> {
  const [row] = await db.select({ guid: users.objectGuid }).from(users).where(eq(users.id, user.id));
  if (!row) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in again." });
  return row.guid;
}

export async function decide(user: SessionUser, actor: AuditActor, raw: z.input<typeof decideInput>) {
  assertCan(user, "approve", "Request");
  const input: DecideInput = decideInput.parse(raw);
  const guid = await approverGuid(user);
  return db.transaction(async (tx) => {
    const [request] = await tx.select().from(requests).where(eq(requests.id, input.requestId)).for("update");
    if (!request) throw new TRPCError({ code: "NOT_FOUND", message: "No such request." });
    if (request.status !== "pending" || !request.policy) {
      throw new TRPCError({ code: "CONFLICT", message: `This request is already ${request.status}.` });
    }
    if (request.approvalDeadline && request.approvalDeadline <= new Date()) {
      throw new TRPCError({ code: "CONFLICT", message: "This request waited too long for a decision and has expired." });
    }
    if (request.requesterId === user.id) throw new TRPCError({ code: "FORBIDDEN", message: "You cannot decide on your own request." });
    const policy = request.policy;
    const level = request.currentLevel;
    if (!isApproverAt(policy, level, guid)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `Only approvers of level ${level} of ${policy.group.name} may decide on this request now.` });
    }
    const requested = request.approvedDurationMinutes ?? request.durationMinutes;
    if (input.durationMinutes !== null && input.durationMinutes > requested) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `An approver may shorten the duration, not lengthen it (at most ${requested} minutes).` });
    }
    const [decision] = await tx
      .insert(requestDecisions)
      .values({ requestId: request.id, level, approverId: user.id, approverGuid: guid, decision: input.decision, comment: input.comment, durationMinutes: input.durationMinutes })
      .onConflictDoNothing()
      .returning();
    if (!decision) throw new TRPCError({ code: "CONFLICT", message: `You have already decided on level ${level} of this request.` });
    const events: AuditEvent[] = [
      { action: "request.decision", targetType: "request", targetId: request.id, data: { level, decision: input.decision, comment: input.comment, durationMinutes: input.durationMinutes } },
    ];

    if (input.decision === "deny") {
      await tx.update(requests).set({ status: "denied", decidedAt: new Date(), outcomeComment: input.comment }).where(eq(requests.id, request.id));
      events.push({ action: "request.denied", targetType: "request", targetId: request.id, data: { level, comment: input.comment } });
      await recordAudit(tx, actor, events);
      await emitNotification(tx, "denied", [{ requestId: request.id, data: { level, comment: input.comment, actor: actor.name } }]);
      return { status: "denied" as const, level, grantId: null };
    }

    const duration = Math.min(requested, input.durationMinutes ?? requested);
    const [{ approvals } = { approvals: 0 }] = await tx
      .select({ approvals: sql<number>`count(*)::int` })
      .from(requestDecisions)
      .where(and(eq(requestDecisions.requestId, request.id), eq(requestDecisions.level, level), eq(requestDecisions.decision, "approve")));
    const needed = requiredAt(policy, level);
    if (approvals < needed) {
      await tx.update(requests).set({ approvedDurationMinutes: duration }).where(eq(requests.id, request.id));
      await recordAudit(tx, actor, events);
      return { status: "pending" as const, level, grantId: null, approvals, needed };
    }
    const next = level < lastLevel(policy) ? level + 1 : null;
    events.push({ action: "request.level_completed", targetType: "request", targetId: request.id, data: { level, approvals, nextLevel: next } });
    if (next !== null) {
      await tx.update(requests).set({ currentLevel: next, approvedDurationMinutes: duration }).where(eq(requests.id, request.id));
      await recordAudit(tx, actor, events);
      await emitNotification(tx, "approval_needed", [{ requestId: request.id, grantId: request.extendsGrantId, data: { level: next } }]);
      return { status: "pending" as const, level: next, grantId: null };
    }

    if (request.kind === "extension") {
      // The last level of an extension: the grant's end moves now, in this transaction.
      const extended = await applyExtension(tx, actor, request, duration);
      await tx
        .update(requests)
        .set({ status: extended.ok ? "approved" : "failed", decidedAt: new Date(), approvedDurationMinutes: duration, outcomeComment: extended.ok ? null : extended.reason })
        .where(eq(requests.id, request.id));
      if (extended.ok) events.push({ action: "request.approved", targetType: "request", targetId: request.id, data: { automatic: false, grantId: request.extendsGrantId! } });
      await recordAudit(tx, actor, events);
      // Applied: applyExtension told the requester ("extended"). Not applied: say why.
      if (!extended.ok) await emitNotification(tx, "failed", [{ requestId: request.id, grantId: request.extendsGrantId, data: { error: extended.reason, actor: actor.name } }]);
      return { status: extended.ok ? ("approved" as const) : ("failed" as const), level, grantId: request.extendsGrantId };
    }

    // The last level: the grant (a set: one per privilege) is created with the approval, in this transaction.
    const member = await memberOf(request);
    await tx.update(requests).set({ status: "approved", decidedAt: new Date(), approvedDurationMinutes: duration }).where(eq(requests.id, request.id));
    const created = await grantApprovedRequest(tx, request, { member, durationMinutes: duration });
    const grant = created[0]!;
    const grantIds = request.privilegeSetId ? { grantIds: created.map((g) => g.id) } : {};
    events.push({ action: "request.approved", targetType: "request", targetId: request.id, data: { automatic: false, grantId: grant.id, ...grantIds } });
    await recordAudit(tx, actor, events);
    await emitNotification(tx, "approved", [{ requestId: request.id, grantId: grant.id, data: { actor: actor.name } }]);
    return { status: "approved" as const, level, grantId: grant.id };
  });
}

/** The account the request elevates: the requester's own, or the catalog credential it names. */
async function memberOf(request: typeof requests.$inferSelect): Promise<{ guid: string; dn: string }> {
  if (request.credentialId) {
    const [credential] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, request.credentialId));
    if (!credential?.objectGuid || !credential.dn || !credential.present) {
      throw new TRPCError({ code: "CONFLICT", message: "The privileged account of this request is no longer in the catalog; deny the request instead." });
    }
    return { guid: credential.objectGuid, dn: credential.dn };
  }
  const [requester] = await db.select({ guid: users.objectGuid, dn: users.dn }).from(users).where(eq(users.id, request.requesterId));
  return requester!;
}

/** The requester withdraws a request that is still waiting. */
export async function cancelRequest(user: SessionUser, actor: AuditActor, requestId: string) {
  return db.transaction(async (tx) => {
    const [request] = await tx.select().from(requests).where(eq(requests.id, requestId)).for("update");
    if (!request) throw new TRPCError({ code: "NOT_FOUND", message: "No such request." });
    assertCan(user, "read", "Request", { userId: request.requesterId });
    if (request.requesterId !== user.id) throw new TRPCError({ code: "FORBIDDEN", message: "Only the requester can cancel a request." });
    if (request.status !== "pending") throw new TRPCError({ code: "CONFLICT", message: `This request is already ${request.status}.` });
    await tx.update(requests).set({ status: "cancelled", decidedAt: new Date(), outcomeComment: "Cancelled by the requester" }).where(eq(requests.id, requestId));
    await recordAudit(tx, actor, [{ action: "request.cancelled", targetType: "request", targetId: requestId, data: { reason: "Cancelled by the requester" } }]);
    return { status: "cancelled" as const };
  });
}

/** Worker cron: requests undecided past their deadline expire. */
export async function expireUndecided(now = new Date()): Promise<number> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .update(requests)
      .set({ status: "expired", decidedAt: now, outcomeComment: "Nobody decided before the deadline" })
      .where(and(eq(requests.status, "pending"), lte(requests.approvalDeadline, now)))
      .returning({ id: requests.id, deadline: requests.approvalDeadline, level: requests.currentLevel });
    if (expired.length) {
      await recordAudit(
        tx,
        SYSTEM_ACTOR,
        expired.map((r) => ({ action: "request.expired" as const, targetType: "request" as const, targetId: r.id, data: { deadline: r.deadline!.toISOString(), level: r.level } })),
      );
      await emitNotification(tx, "expired", expired.map((r) => ({ requestId: r.id, data: { level: r.level, comment: "Nobody decided before the deadline" } })));
    }
    return expired.length;
  });
}

/** What an approver sees of a request, in the inbox, the emergency reviews and the admin overview. */
export function requestSummaries() {
  return db
    .select({
      requestId: requests.id,
      requester: users.username,
      requesterName: users.displayName,
      /** A set request is named after the set. */
      privilege: sql<string>`coalesce(${privilegeSets.name}, ${privileges.name})`,
      /** A set request: the set's name and the privileges frozen on the request (what approving grants). */
      privilegeSet: privilegeSets.name,
      setPrivileges: sql<string[] | null>`(select array_agg(p.name order by p.name) from privileges p where p.id = any(${requests.setPrivilegeIds}))`,
      account: catalogCredentials.username,
      durationMinutes: requests.durationMinutes,
      approvedDurationMinutes: requests.approvedDurationMinutes,
      justification: requests.justification,
      changeId: requests.changeId,
      governanceCode: requests.governanceCode,
      emergency: requests.emergency,
      locationCountry: requests.locationCountry,
      locationRegion: requests.locationRegion,
      level: requests.currentLevel,
      levels: sql<number>`(select coalesce(max((a ->> 'level')::int), 1) from jsonb_array_elements(${requests.policy} -> 'approvers') a)`,
      kind: requests.kind,
      startsAt: requests.startsAt,
      outsideUsualHours: requests.outsideUsualHours,
      /** Extensions: the grant's current end, which the approval would move. */
      currentExpiresAt: sql<Date | null>`(select g.expires_at from grants g where g.id = ${requests.extendsGrantId})`.mapWith(grants.expiresAt),
      accessGroup: sql<string>`${requests.policy} -> 'group' ->> 'name'`,
      requestedAt: requests.createdAt,
      approvalDeadline: requests.approvalDeadline,
    })
    .from(requests)
    .innerJoin(users, eq(users.id, requests.requesterId))
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .leftJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
    .leftJoin(catalogCredentials, eq(catalogCredentials.id, requests.credentialId));
}

/** Requests waiting for this approver's decision: their level, not decided by them, not their own. */
export async function inbox(user: SessionUser) {
  assertCan(user, "approve", "Request");
  const guid = (await approverGuid(user)).toLowerCase();
  return requestSummaries()
    .where(
      and(
        eq(requests.status, "pending"),
        sql`${requests.requesterId} <> ${user.id}`,
        sql`exists (select 1 from jsonb_array_elements(${requests.policy} -> 'approvers') a
                    where lower(a ->> 'userGuid') = ${guid} and (a ->> 'level')::int = ${requests.currentLevel})`,
        sql`not exists (select 1 from ${requestDecisions} d where d.request_id = ${requests.id} and d.level = ${requests.currentLevel} and d.approver_id = ${user.id})`,
      ),
    )
    .orderBy(desc(requests.emergency), requests.createdAt);
}

/** This approver's past decisions, newest first. */
export async function myDecisions(user: SessionUser, limit = 50) {
  assertCan(user, "approve", "Request");
  return db
    .select({
      requestId: requests.id,
      privilege: sql<string>`coalesce(${privilegeSets.name}, ${privileges.name})`,
      requester: users.username,
      level: requestDecisions.level,
      decision: requestDecisions.decision,
      comment: requestDecisions.comment,
      durationMinutes: requestDecisions.durationMinutes,
      decidedAt: requestDecisions.decidedAt,
      status: requests.status,
    })
    .from(requestDecisions)
    .innerJoin(requests, eq(requests.id, requestDecisions.requestId))
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .leftJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
    .innerJoin(users, eq(users.id, requests.requesterId))
    .where(eq(requestDecisions.approverId, user.id))
    .orderBy(desc(requestDecisions.decidedAt))
    .limit(limit);
}

const approverOfAnyLevel = (guid: string) =>
  sql`exists (select 1 from jsonb_array_elements(${requests.policy} -> 'approvers') a where lower(a ->> 'userGuid') = ${guid})`;

/** Emergency requests granted without approval that this approver has yet to review (any level). */
export async function emergenciesToReview(user: SessionUser) {
  assertCan(user, "approve", "Request");
  const guid = (await approverGuid(user)).toLowerCase();
  return requestSummaries()
    .where(and(eq(requests.emergency, true), eq(requests.status, "approved"), isNull(requests.reviewedAt), sql`${requests.requesterId} <> ${user.id}`, approverOfAnyLevel(guid)))
    .orderBy(requests.createdAt);
}

/** An approver of the request's group reviews an emergency grant afterwards; the flag clears. */
export async function reviewEmergency(user: SessionUser, actor: AuditActor, requestId: string, comment: string) {
  assertCan(user, "approve", "Request");
  const guid = await approverGuid(user);
  return db.transaction(async (tx) => {
    const [request] = await tx.select().from(requests).where(eq(requests.id, requestId)).for("update");
    if (!request || !request.emergency || !request.policy) throw new TRPCError({ code: "NOT_FOUND", message: "No such emergency request." });
    if (request.requesterId === user.id) throw new TRPCError({ code: "FORBIDDEN", message: "You cannot review your own emergency access." });
    if (!request.policy.approvers.some((a) => a.userGuid.toLowerCase() === guid.toLowerCase())) {
      throw new TRPCError({ code: "FORBIDDEN", message: `Only approvers of ${request.policy.group.name} review its emergency access.` });
    }
    if (request.reviewedAt) throw new TRPCError({ code: "CONFLICT", message: "This emergency access was reviewed already." });
    await tx.update(requests).set({ reviewedAt: new Date(), reviewedBy: user.id, reviewComment: comment }).where(eq(requests.id, requestId));
    await recordAudit(tx, actor, [{ action: "request.emergency_reviewed", targetType: "request", targetId: requestId, data: { comment } }]);
    return { reviewed: true as const };
  });
}
