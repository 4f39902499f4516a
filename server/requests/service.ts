import { TRPCError } from "@trpc/server";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, privileges, requests, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { enqueue, jobKeys } from "@/server/jobs/enqueue";
import type { SubmitRequestInput } from "./schemas";

const LIVE_STATES = ["pending", "provisioning", "active", "expiring"] as const;

/**
 * Submits a request for the signed-in user's own account. Approval is automatic for now: the
 * request, its grant, the activation job and the audit events commit together.
 */
export async function submitRequest(user: SessionUser, actor: AuditActor, input: SubmitRequestInput) {
  assertCan(user, "request", "Privilege");
  return db.transaction(async (tx) => {
    // The account comes from our row (written at sign-in from AD), never from the session token.
    const [account] = await tx.select({ dn: users.dn, objectGuid: users.objectGuid }).from(users).where(eq(users.id, user.id));
    if (!account) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in again." });
    const [privilege] = await tx.select().from(privileges).where(eq(privileges.id, input.privilegeId));
    if (!privilege || !privilege.enabled) {
      throw new TRPCError({ code: "NOT_FOUND", message: "This privilege is not available for requests." });
    }
    if (input.durationMinutes > privilege.maxDurationMinutes) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `"${privilege.name}" can be held for at most ${privilege.maxDurationMinutes} minutes.`,
      });
    }
    // Serialize this user's requests for this privilege so a double click cannot create two grants.
    // hashtext keeps the lock key an int; a collision only makes two requests wait briefly.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${user.id}:${privilege.id}`}))`);
    const [live] = await tx
      .select({ id: grants.id, state: grants.state, expiresAt: grants.expiresAt })
      .from(grants)
      .where(and(eq(grants.userId, user.id), eq(grants.privilegeId, privilege.id), inArray(grants.state, [...LIVE_STATES])));
    if (live) {
      const until = live.expiresAt ? ` until ${live.expiresAt.toISOString()}` : "";
      throw new TRPCError({ code: "CONFLICT", message: `You already have "${privilege.name}" (${live.state}${until}).` });
    }
    const durationSeconds = input.durationMinutes * 60;
    const [request] = await tx
      .insert(requests)
      .values({
        requesterId: user.id,
        privilegeId: privilege.id,
        targetDn: account.dn,
        durationMinutes: input.durationMinutes,
        justification: input.justification,
        status: "approved",
        clientIp: actor.ip ?? null,
        decidedAt: new Date(),
      })
      .returning();
    const [grant] = await tx
      .insert(grants)
      .values({
        requestId: request!.id,
        userId: user.id,
        privilegeId: privilege.id,
        mechanism: privilege.mechanism,
        memberGuid: account.objectGuid,
        memberDn: account.dn,
        groupGuid: privilege.groupGuid,
        groupDn: privilege.groupDn,
        durationSeconds,
      })
      .returning();
    await enqueue(tx, "grants__activate", { grantId: grant!.id }, { jobKey: jobKeys.activate(grant!.id) });
    await recordAudit(tx, actor, [
      {
        action: "request.submitted",
        targetType: "request",
        targetId: request!.id,
        data: { privilegeId: privilege.id, privilege: privilege.name, durationMinutes: input.durationMinutes, justification: input.justification, targetDn: account.dn },
      },
      { action: "request.approved", targetType: "request", targetId: request!.id, data: { automatic: true, grantId: grant!.id } },
    ]);
    return { requestId: request!.id, grantId: grant!.id };
  });
}

/** The user's own recent requests with their grant's live state, newest first. */
export async function listMyRequests(user: SessionUser, limit = 50) {
  assertCan(user, "read", "Request", { userId: user.id });
  return db
    .select({
      requestId: requests.id,
      privilegeId: privileges.id,
      privilege: privileges.name,
      durationMinutes: requests.durationMinutes,
      justification: requests.justification,
      requestedAt: requests.createdAt,
      status: requests.status,
      grantId: grants.id,
      grantState: grants.state,
      activatedAt: grants.activatedAt,
      expiresAt: grants.expiresAt,
      removedAt: grants.removedAt,
      endReason: grants.endReason,
      lastError: grants.lastError,
      attempts: grants.attempts,
    })
    .from(requests)
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .leftJoin(grants, eq(grants.requestId, requests.id))
    .where(eq(requests.requesterId, user.id))
    .orderBy(desc(requests.createdAt))
    .limit(limit);
}
