import "server-only";
import { and, desc, eq, isNull, lte, sql } from "drizzle-orm";
import { db, type Transaction } from "@/db";
import { accessGroupApprovers, catalogCredentials, grants, privilegeSets, privileges, requestDecisions, requests, users } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditActor, type AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { confirmAccount } from "@/server/auth/sessions";
import { conflict, forbidden, invalid, notFound, refused, unauthenticated, type DomainError } from "@/server/errors";
import { applyExtension } from "@/server/grants/extend";
import { emitNotification } from "@/server/notifications/emit";
import { grantApprovedRequest } from "@/server/grants/create";
import { isLiveGrantConflict } from "@/server/grants/one-live";
import { isApproverSql, lastLevel, levelCountSql, requiredAt } from "./levels";
import { recheckAtDecision, refusedVote } from "./live-recheck";
import { assertNotSelfElevation, notSelfElevationSql } from "./self-elevation";
import { APPROVING_NEEDS_A_PERSON, decideInput, type DecideInput } from "./schemas";
import type { z } from "zod";

/*
 * The approval workflow. A request needing approval waits at level 1 of the policy frozen onto it
 * at submission; when a level has its required approvals it moves on, and the last level's
 * approval creates the grant in the same transaction. One denial ends it. Decisions lock the
 * request row, so racing approvers cannot double-approve or skip a level; nobody decides their
 * own request; only approvers of the current level decide. The frozen policy says who was asked;
 * each vote also re-checks the group as it is now (live-recheck.ts): it can only take away.
 */

async function approverGuid(user: SessionUser): Promise<string> {
  const [row] = await db.select({ guid: users.objectGuid }).from(users).where(eq(users.id, user.id));
  if (!row) throw unauthenticated("Sign in again.");
  return row.guid;
}

type Request = typeof requests.$inferSelect;
type Decided =
  | { status: "approved" | "denied" | "failed"; level: number; grantId: string | null }
  | { status: "pending"; level: number; grantId: null; approvals?: number; needed?: number };

/**
 * One approver's decision on the level a request waits at: the request is locked and checked, the
 * decision recorded; a denial ends the request, the level's last needed approval moves it to the
 * next level or, at the last level, approves it (the grant or the extension in this transaction).
 */
export async function decide(user: SessionUser, actor: AuditActor, raw: z.input<typeof decideInput>): Promise<Decided> {
  assertCan(user, "approve", "Request");
  if (actor.type === "token") throw forbidden(APPROVING_NEEDS_A_PERSON);
  // An approver whose AD account is disabled, locked, expired or gone does not vote (server/auth/account-state.ts).
  await confirmAccount(user.id);
  const input: DecideInput = decideInput.parse(raw);
  const guid = await approverGuid(user);
  const outcome = await db.transaction(async (tx) => {
    const locked = await lockDecidable(tx, user, guid, input);
    // Separation of duties on accounts first: nobody decides on elevating an account that is, or is owned by, them.
    await assertNotSelfElevation(tx, locked, user.id);
    const level = locked.currentLevel;
    // Issue 13: the live policy first (a refusal ends the request), then the approver as the group lists them now.
    const requested = locked.approvedDurationMinutes ?? locked.durationMinutes;
    const live = await recheckAtDecision(tx, actor, locked, Math.min(requested, input.durationMinutes ?? requested));
    if (live.outcome === "refused") return { status: "failed" as const, level, grantId: null };
    const notApprover = await refusedVote(tx, actor, locked, guid, input.decision);
    if (notApprover) return { refusedVote: notApprover };
    const request = { ...locked, windowEndsAt: live.windowEndsAt };
    const [decision] = await tx
      .insert(requestDecisions)
      .values({
        requestId: request.id,
        level,
        approverId: user.id,
        approverGuid: guid,
        decision: input.decision,
        comment: input.comment,
        durationMinutes: input.durationMinutes,
      })
      .onConflictDoNothing()
      .returning();
    if (!decision) throw conflict(`You have already decided on level ${level} of this request.`);
    const events: AuditEvent[] = [
      {
        action: "request.decision",
        targetType: "request",
        targetId: request.id,
        data: { level, decision: input.decision, comment: input.comment, durationMinutes: input.durationMinutes },
      },
    ];
    if (input.decision === "deny") return deny(tx, actor, request, input.comment, events);
    return approveLevel(tx, actor, request, live.durationMinutes, events);
  });
  // Audited in the transaction above; the refusal itself is the answer.
  if ("refusedVote" in outcome) throw refused("approver", outcome.refusedVote);
  return outcome;
}

/**
 * Locks the request and checks that this approver may decide on it now: still pending and in time,
 * not their own, an approver of its current level (the same SQL as the inbox's), no longer than asked.
 */
async function lockDecidable(tx: Transaction, user: SessionUser, guid: string, input: DecideInput): Promise<Request & { policy: FrozenPolicy }> {
  const [row] = await tx
    .select({ request: requests, mayDecide: isApproverSql(requests.policy, guid, requests.currentLevel) })
    .from(requests)
    .where(eq(requests.id, input.requestId))
    .for("update");
  if (!row) throw notFound("No such request.");
  const { request, mayDecide } = row;
  if (request.status !== "pending" || !request.policy) throw conflict(`This request is already ${request.status}.`);
  if (request.approvalDeadline && request.approvalDeadline <= new Date()) throw conflict("This request waited too long for a decision and has expired.");
  if (request.requesterId === user.id) throw forbidden("You cannot decide on your own request.");
  if (!mayDecide) throw forbidden(`Only approvers of level ${request.currentLevel} of ${request.policy.group.name} may decide on this request now.`);
  const requested = request.approvedDurationMinutes ?? request.durationMinutes;
  if (input.durationMinutes !== null && input.durationMinutes > requested) {
    throw invalid(`An approver may shorten the duration, not lengthen it (at most ${requested} minutes).`);
  }
  return { ...request, policy: request.policy };
}

/** One denial ends the request. */
async function deny(tx: Transaction, actor: AuditActor, request: Request, comment: string, events: AuditEvent[]): Promise<Decided> {
  const level = request.currentLevel;
  await tx.update(requests).set({ status: "denied", decidedAt: new Date(), outcomeComment: comment }).where(eq(requests.id, request.id));
  events.push({ action: "request.denied", targetType: "request", targetId: request.id, data: { level, comment } });
  await recordAudit(tx, actor, events);
  await emitNotification(tx, "denied", [{ requestId: request.id, data: { level, comment, actor: actor.name } }]);
  return { status: "denied" as const, level, grantId: null };
}

/** An approval: the level waits for more, or is complete and the request moves on (or is approved). */
async function approveLevel(
  tx: Transaction,
  actor: AuditActor,
  request: Request & { policy: FrozenPolicy },
  duration: number,
  events: AuditEvent[],
): Promise<Decided> {
  const level = request.currentLevel;
  const [{ approvals } = { approvals: 0 }] = await tx
    .select({ approvals: sql<number>`count(*)::int` })
    .from(requestDecisions)
    .where(and(eq(requestDecisions.requestId, request.id), eq(requestDecisions.level, level), eq(requestDecisions.decision, "approve")));
  const needed = requiredAt(request.policy, level);
  if (approvals < needed) {
    await tx.update(requests).set({ approvedDurationMinutes: duration }).where(eq(requests.id, request.id));
    await recordAudit(tx, actor, events);
    return { status: "pending" as const, level, grantId: null, approvals, needed };
  }
  const next = level < lastLevel(request.policy) ? level + 1 : null;
  events.push({ action: "request.level_completed", targetType: "request", targetId: request.id, data: { level, approvals, nextLevel: next } });
  if (next !== null) {
    await tx.update(requests).set({ currentLevel: next, approvedDurationMinutes: duration }).where(eq(requests.id, request.id));
    await recordAudit(tx, actor, events);
    await emitNotification(tx, "approval_needed", [{ requestId: request.id, grantId: request.extendsGrantId, data: { level: next } }]);
    return { status: "pending" as const, level: next, grantId: null };
  }
  return request.kind === "extension" ? approveExtension(tx, actor, request, duration, events) : approveGrant(tx, actor, request, duration, events);
}

/** The last level of an extension: the grant's end moves now, in this transaction. */
async function approveExtension(tx: Transaction, actor: AuditActor, request: Request, duration: number, events: AuditEvent[]): Promise<Decided> {
  const level = request.currentLevel;
  const extended = await applyExtension(tx, actor, request, duration);
  await tx
    .update(requests)
    .set({
      status: extended.ok ? "approved" : "failed",
      decidedAt: new Date(),
      approvedDurationMinutes: duration,
      outcomeComment: extended.ok ? null : extended.reason,
    })
    .where(eq(requests.id, request.id));
  if (extended.ok)
    events.push({ action: "request.approved", targetType: "request", targetId: request.id, data: { automatic: false, grantId: request.extendsGrantId! } });
  await recordAudit(tx, actor, events);
  // Applied: applyExtension told the requester ("extended"). Not applied: say why.
  if (!extended.ok)
    await emitNotification(tx, "failed", [{ requestId: request.id, grantId: request.extendsGrantId, data: { error: extended.reason, actor: actor.name } }]);
  return { status: extended.ok ? ("approved" as const) : ("failed" as const), level, grantId: request.extendsGrantId };
}

/** The last level: the grant (a set: one per privilege) is created with the approval, in this transaction. */
async function approveGrant(tx: Transaction, actor: AuditActor, request: Request, duration: number, events: AuditEvent[]): Promise<Decided> {
  const member = await memberOf(request);
  await tx.update(requests).set({ status: "approved", decidedAt: new Date(), approvedDurationMinutes: duration }).where(eq(requests.id, request.id));
  const created = await grantApprovedRequest(tx, request, { member, durationMinutes: duration }).catch((err: unknown) => {
    if (isLiveGrantConflict(err)) return err;
    throw err;
  });
  if (!Array.isArray(created)) return failApproval(tx, actor, request, duration, created, events);
  const grant = created[0]!;
  const grantIds = request.privilegeSetId ? { grantIds: created.map((g) => g.id) } : {};
  events.push({ action: "request.approved", targetType: "request", targetId: request.id, data: { automatic: false, grantId: grant.id, ...grantIds } });
  await recordAudit(tx, actor, events);
  await emitNotification(tx, "approved", [{ requestId: request.id, grantId: grant.id, data: { actor: actor.name } }]);
  return { status: "approved" as const, level: request.currentLevel, grantId: grant.id };
}

/**
 * The last approval found the account already holding the group (another request's grant won a
 * race): the request fails, with its reason, audited and notified — the decision stands.
 */
async function failApproval(tx: Transaction, actor: AuditActor, request: Request, duration: number, err: DomainError, events: AuditEvent[]): Promise<Decided> {
  await tx
    .update(requests)
    .set({ status: "failed", decidedAt: new Date(), approvedDurationMinutes: duration, outcomeComment: err.message })
    .where(eq(requests.id, request.id));
  events.push({ action: "request.failed", targetType: "request", targetId: request.id, data: { rule: err.rule ?? "conflict", reason: err.message } });
  await recordAudit(tx, actor, events);
  await emitNotification(tx, "failed", [{ requestId: request.id, data: { error: err.message, actor: actor.name } }]);
  return { status: "failed" as const, level: request.currentLevel, grantId: null };
}

/** The account the request elevates: the requester's own, or the catalog credential it names. */
async function memberOf(request: typeof requests.$inferSelect): Promise<{ guid: string; dn: string }> {
  if (request.credentialId) {
    const [credential] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, request.credentialId));
    if (!credential?.objectGuid || !credential.dn || !credential.present) {
      throw conflict("The privileged account of this request is no longer in the catalog; deny the request instead.");
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
    if (!request) throw notFound("No such request.");
    assertCan(user, "read", "Request", { userId: request.requesterId });
    if (request.requesterId !== user.id) throw forbidden("Only the requester can cancel a request.");
    if (request.status !== "pending") throw conflict(`This request is already ${request.status}.`);
    await tx
      .update(requests)
      .set({ status: "cancelled", decidedAt: new Date(), outcomeComment: "Cancelled by the requester" })
      .where(eq(requests.id, requestId));
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
        expired.map((r) => ({
          action: "request.expired" as const,
          targetType: "request" as const,
          targetId: r.id,
          data: { deadline: r.deadline!.toISOString(), level: r.level },
        })),
      );
      await emitNotification(
        tx,
        "expired",
        expired.map((r) => ({ requestId: r.id, data: { level: r.level, comment: "Nobody decided before the deadline" } })),
      );
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
      levels: levelCountSql(requests.policy),
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
        isApproverSql(requests.policy, guid, requests.currentLevel),
        notSelfElevationSql(user.id),
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

/** Emergency requests granted without approval that this approver has yet to review (any level). */
export async function emergenciesToReview(user: SessionUser) {
  assertCan(user, "approve", "Request");
  const guid = (await approverGuid(user)).toLowerCase();
  return requestSummaries()
    .where(
      and(
        eq(requests.emergency, true),
        eq(requests.status, "approved"),
        isNull(requests.reviewedAt),
        sql`${requests.requesterId} <> ${user.id}`,
        isApproverSql(requests.policy, guid),
        notSelfElevationSql(user.id),
      ),
    )
    .orderBy(requests.createdAt);
}

/** An approver of the request's group reviews an emergency grant afterwards; the flag clears. */
export async function reviewEmergency(user: SessionUser, actor: AuditActor, requestId: string, comment: string) {
  assertCan(user, "approve", "Request");
  await confirmAccount(user.id);
  const guid = await approverGuid(user);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ request: requests, mayReview: isApproverSql(requests.policy, guid) })
      .from(requests)
      .where(eq(requests.id, requestId))
      .for("update");
    const request = row?.request;
    if (!request || !request.emergency || !request.policy) throw notFound("No such emergency request.");
    if (request.requesterId === user.id) throw forbidden("You cannot review your own emergency access.");
    if (!row.mayReview) throw forbidden(`Only approvers of ${request.policy.group.name} review its emergency access.`);
    // The frozen list says who was asked; the group as it is now says who still may (as for votes).
    const [still] = request.accessGroupId
      ? await tx
          .select({ level: accessGroupApprovers.level })
          .from(accessGroupApprovers)
          .where(and(eq(accessGroupApprovers.groupId, request.accessGroupId), sql`lower(${accessGroupApprovers.userGuid}) = ${guid.toLowerCase()}`))
          .limit(1)
      : [];
    if (!still) throw refused("approver", `You are no longer an approver of ${request.policy.group.name}.`);
    await assertNotSelfElevation(tx, request, user.id);
    if (request.reviewedAt) throw conflict("This emergency access was reviewed already.");
    await tx.update(requests).set({ reviewedAt: new Date(), reviewedBy: user.id, reviewComment: comment }).where(eq(requests.id, requestId));
    await recordAudit(tx, actor, [{ action: "request.emergency_reviewed", targetType: "request", targetId: requestId, data: { comment } }]);
    return { reviewed: true as const };
  });
}
