import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { db, type Transaction } from "@/db";
import { accessGroupActivations, accessGroups, catalogCredentials, grants, privileges, requests } from "@/db/schema";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { evaluateRequest, loadPerson, publicVerdict, requesterAccess, situationOf, type Credential, type Privilege } from "@/server/access-groups/enforcement";
import { readApprovers } from "@/server/access-groups/service";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { enqueue, jobKeys } from "@/server/jobs/enqueue";
import { emitNotification } from "@/server/notifications/emit";
import { isOutsideUsualHours } from "@/server/access-groups/policy/usual-hours";
import { previewRequestInput, submitRequestInput, type PreviewRequestInput, type SubmitRequestInput } from "./schemas";

const LIVE_STATES = ["pending", "provisioning", "replicating", "active", "expiring"] as const;

const FIELD_LABELS = { justification: "a justification", changeId: "a change ID", governanceCode: "a governance (ITSM) code" } as const;

async function person(user: SessionUser) {
  // The account comes from our row (written at sign-in from AD), never from the session token.
  const p = await loadPerson(user.id);
  if (!p) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in again." });
  return p;
}

async function target(input: { privilegeId: string; credentialId: string | null }): Promise<{ privilege: Privilege; credential: Credential | null }> {
  const [privilege] = await db.select().from(privileges).where(eq(privileges.id, input.privilegeId));
  if (!privilege || !privilege.enabled) throw new TRPCError({ code: "NOT_FOUND", message: "This privilege is not available for requests." });
  if (input.credentialId === null) return { privilege, credential: null };
  const [credential] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, input.credentialId));
  if (!credential || !credential.present) throw new TRPCError({ code: "NOT_FOUND", message: "This privileged account is not in the catalog (anymore)." });
  return { privilege, credential };
}

/** What the requester page lists: exactly what the user's enabled, active access groups allow. */
export async function myAccess(user: SessionUser, actor: AuditActor) {
  assertCan(user, "request", "Privilege");
  return requesterAccess(await person(user), actor.ip);
}

/** The form's live check: which group would bind the request, which fields it needs, when it would end. */
export async function previewRequest(user: SessionUser, actor: AuditActor, raw: z.input<typeof previewRequestInput>) {
  assertCan(user, "request", "Privilege");
  const input: PreviewRequestInput = previewRequestInput.parse(raw);
  const t = await target(input);
  const s = await situationOf(await person(user), actor.ip);
  const at = input.startsAt && input.startsAt > new Date() ? input.startsAt : new Date();
  const verdict = evaluateRequest(s, t, Math.min(input.durationMinutes, t.privilege.maxDurationMinutes), at, { emergency: input.emergency });
  // Who would decide, level by level, so the requester knows before submitting.
  const approvalLevels =
    verdict.ok && verdict.requiresApproval
      ? await readApprovers(db, verdict.group.id).then(({ approvers, levels }) =>
          levels.map((l) => ({ level: l.level, requiredApprovals: l.requiredApprovals, approvers: approvers.filter((a) => a.level === l.level).map((a) => a.displayName || a.username) })),
        )
      : [];
  const outsideUsualHours = verdict.ok ? isOutsideUsualHours(verdict.group.settings, verdict.group.timeZone, at) : false;
  return { ...publicVerdict(verdict), approvalLevels, outsideUsualHours, location: s.locationText, maxDurationMinutes: t.privilege.maxDurationMinutes };
}

/**
 * Submits a request, checked against the requester's access groups: the binding group (see
 * policy/groups.ts) decides the required fields, approval and the latest end. A group without
 * approval creates the grant at once (request, grant, activation job and audit commit together);
 * with approval the request waits. Refusals are audited too.
 */
export async function submitRequest(user: SessionUser, actor: AuditActor, raw: z.input<typeof submitRequestInput>) {
  assertCan(user, "request", "Privilege");
  // Parsed again: the worker, scripts and tests call services without tRPC.
  const input: SubmitRequestInput = submitRequestInput.parse(raw);
  const account = await person(user);
  const { privilege, credential } = await target(input);
  // Every refusal is audited with the rule that refused it, then reported to the requester.
  const refuse = async (rule: string, reason: string, location = "not checked"): Promise<never> => {
    await db.transaction((tx) =>
      recordAudit(tx, actor, [{ action: "request.refused", targetType: "privilege", targetId: privilege.id, data: { privilege: privilege.name, rule, reason, location } }]),
    );
    throw new TRPCError({ code: ["duration", "fields", "credential", "schedule"].includes(rule) ? "BAD_REQUEST" : "FORBIDDEN", message: `Refused (${rule}): ${reason}` });
  };
  if (input.durationMinutes > privilege.maxDurationMinutes) {
    await refuse("duration", `"${privilege.name}" can be held for at most ${privilege.maxDurationMinutes} minutes.`);
  }
  if (credential && (!credential.objectGuid || !credential.dn)) {
    await refuse("credential", `${credential.username} is a manual catalog entry, not a directory account: it cannot be added to an AD group.`);
  }
  const now = new Date();
  if (input.startsAt && input.startsAt.getTime() < now.getTime() - 60_000) await refuse("schedule", "The start time has passed. Pick a time in the future, or leave it empty to start now.");
  if (input.startsAt && input.startsAt.getTime() > now.getTime() + env.SCHEDULE_MAX_DAYS * 86_400_000) {
    await refuse("schedule", `Access can be scheduled at most ${env.SCHEDULE_MAX_DAYS} days ahead.`);
  }
  if (input.startsAt && input.emergency) await refuse("schedule", "Emergency access starts now; it cannot be scheduled.");
  // A start within the next minute is "now"; a later one is checked against the group's limits then.
  const startsAt = input.startsAt && input.startsAt.getTime() > now.getTime() + 60_000 ? input.startsAt : null;
  const situation = await situationOf(account, actor.ip);
  const verdict = evaluateRequest(situation, { privilege, credential }, input.durationMinutes, startsAt ?? now, { emergency: input.emergency });
  if (!verdict.ok) return refuse(verdict.rule, verdict.reason, situation.locationText);
  const missing = verdict.requiredFields.filter((f) => input[f] === "");
  if (missing.length) {
    await refuse("fields", `The access group ${verdict.group.name} requires ${missing.map((f) => FIELD_LABELS[f]).join(" and ")}.`, situation.locationText);
  }
  const approvers = await readApprovers(db, verdict.group.id);
  if (verdict.requiresApproval && approvers.approvers.length === 0) {
    await refuse("approval", `The access group ${verdict.group.name} requires approval but has no approvers yet. Ask an administrator to add approvers.`, situation.locationText);
  }
  const member = credential ? { guid: credential.objectGuid!, dn: credential.dn! } : { guid: account.objectGuid, dn: account.dn };
  const checkedVersion = situation.memberships.find((m) => m.group.id === verdict.group.id)!.group.version;

  return db.transaction(async (tx) => {
    // Serialize requests for this account and privilege so a double click cannot create two grants.
    // hashtext keeps the lock key an int; a collision only makes two requests wait briefly.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${member.guid.toLowerCase()}:${privilege.id}`}))`);
    // The policy checked above must still be the group's: an admin saving any tab (which bumps the
    // version) or changing this member's activation in between makes the requester look again.
    const [group] = await tx.select({ version: accessGroups.version, enabled: accessGroups.enabled }).from(accessGroups).where(eq(accessGroups.id, verdict.group.id)).for("share");
    const [activation] = await tx
      .select({ state: accessGroupActivations.state })
      .from(accessGroupActivations)
      .where(and(eq(accessGroupActivations.groupId, verdict.group.id), sql`lower(${accessGroupActivations.userGuid}) = ${account.objectGuid.toLowerCase()}`))
      .for("share");
    if (!group || group.version !== checkedVersion || !group.enabled || activation?.state !== "active") {
      throw new TRPCError({ code: "CONFLICT", message: `The access group ${verdict.group.name} changed while your request was checked. Look at the page again and resubmit.` });
    }
    const [live] = await tx
      .select({ state: grants.state, expiresAt: grants.expiresAt })
      .from(grants)
      .where(and(eq(grants.memberGuid, member.guid), eq(grants.privilegeId, privilege.id), inArray(grants.state, [...LIVE_STATES])));
    const whose = credential ? credential.username : "You";
    if (live) {
      const until = live.expiresAt ? ` until ${live.expiresAt.toISOString()}` : "";
      throw new TRPCError({ code: "CONFLICT", message: `${whose} already ${credential ? "has" : "have"} "${privilege.name}" (${live.state}${until}).` });
    }
    const [waiting] = await tx
      .select({ id: requests.id })
      .from(requests)
      .where(and(eq(requests.requesterId, user.id), eq(requests.privilegeId, privilege.id), eq(requests.status, "pending"), credential ? eq(requests.credentialId, credential.id) : sql`${requests.credentialId} is null`));
    if (waiting) throw new TRPCError({ code: "CONFLICT", message: `You already asked for "${privilege.name}"; that request is waiting for approval.` });

    const policy: FrozenPolicy = {
      group: verdict.group,
      levels: approvers.levels,
      approvers: approvers.approvers.map((a) => ({ userGuid: a.userGuid, username: a.username, displayName: a.displayName, level: a.level })),
      checkedAt: now.toISOString(),
    };
    const awaitingApproval = verdict.requiresApproval;
    const outsideUsualHours = isOutsideUsualHours(verdict.group.settings, verdict.group.timeZone, startsAt ?? now);
    const [request] = await tx
      .insert(requests)
      .values({
        requesterId: user.id,
        privilegeId: privilege.id,
        targetDn: member.dn,
        credentialId: credential?.id ?? null,
        durationMinutes: input.durationMinutes,
        justification: input.justification,
        changeId: input.changeId || null,
        governanceCode: input.governanceCode || null,
        accessGroupId: verdict.group.id,
        policy,
        locationCountry: situation.location?.country ?? null,
        locationRegion: situation.location?.region ?? null,
        windowEndsAt: verdict.windowEndsAt,
        emergency: input.emergency,
        startsAt,
        outsideUsualHours,
        status: awaitingApproval ? "pending" : "approved",
        approvalDeadline: awaitingApproval ? new Date(now.getTime() + env.REQUEST_APPROVAL_TIMEOUT_HOURS * 3_600_000) : null,
        clientIp: actor.ip ?? null,
        decidedAt: awaitingApproval ? null : now,
      })
      .returning();
    await recordAudit(tx, actor, [
      {
        action: "request.submitted",
        targetType: "request",
        targetId: request!.id,
        data: {
          privilegeId: privilege.id,
          privilege: privilege.name,
          durationMinutes: input.durationMinutes,
          justification: input.justification,
          targetDn: member.dn,
          accessGroupId: verdict.group.id,
          accessGroup: verdict.group.name,
          credential: credential?.username ?? null,
          changeId: input.changeId || null,
          governanceCode: input.governanceCode || null,
          location: situation.locationText,
          windowEndsAt: verdict.windowEndsAt?.toISOString() ?? null,
          awaitingApproval,
          emergency: input.emergency,
          startsAt: startsAt?.toISOString() ?? null,
          outsideUsualHours,
        },
      },
    ]);
    await emitNotification(tx, "requested", [{ requestId: request!.id }]);
    if (awaitingApproval) await emitNotification(tx, "approval_needed", [{ requestId: request!.id, data: { level: 1 } }]);
    // Break-glass: every approver of the group hears about it at once.
    if (input.emergency) await emitNotification(tx, "emergency", [{ requestId: request!.id }]);
    if (awaitingApproval) return { requestId: request!.id, grantId: null, status: "pending" as const, accessGroup: verdict.group.name };

    const grant = await createGrant(tx, {
      requestId: request!.id,
      userId: user.id,
      privilege,
      member,
      durationMinutes: input.durationMinutes,
      notAfter: verdict.windowEndsAt,
      startsAt,
    });
    await recordAudit(tx, actor, [{ action: "request.approved", targetType: "request", targetId: request!.id, data: { automatic: true, grantId: grant.id } }]);
    return { requestId: request!.id, grantId: grant.id, status: "approved" as const, accessGroup: verdict.group.name };
  });
}

/**
 * The grant for an approved request, with its activation job, in the caller's transaction (the
 * request's approval and its grant commit together).
 */
export async function createGrant(
  tx: Transaction,
  g: { requestId: string; userId: string; privilege: Privilege; member: { guid: string; dn: string }; durationMinutes: number; notAfter: Date | null; startsAt: Date | null },
) {
  const [grant] = await tx
    .insert(grants)
    .values({
      requestId: g.requestId,
      userId: g.userId,
      privilegeId: g.privilege.id,
      mechanism: g.privilege.mechanism,
      memberGuid: g.member.guid,
      memberDn: g.member.dn,
      groupGuid: g.privilege.groupGuid,
      groupDn: g.privilege.groupDn,
      durationSeconds: g.durationMinutes * 60,
      notAfter: g.notAfter,
      startsAt: g.startsAt,
    })
    .returning();
  // A scheduled grant's activation is a job at its start time (approved late, it starts at once).
  const runAt = g.startsAt && g.startsAt > new Date() ? g.startsAt : undefined;
  await enqueue(tx, "grants__activate", { grantId: grant!.id }, { jobKey: jobKeys.activate(grant!.id), runAt });
  return grant!;
}

/** The user's own recent requests with their grant's live state, newest first. */
export async function listMyRequests(user: SessionUser, limit = 50) {
  assertCan(user, "read", "Request", { userId: user.id });
  return db
    .select({
      requestId: requests.id,
      privilegeId: privileges.id,
      privilege: privileges.name,
      account: catalogCredentials.username,
      accessGroup: sql<string | null>`${requests.policy} -> 'group' ->> 'name'`,
      durationMinutes: requests.durationMinutes,
      justification: requests.justification,
      requestedAt: requests.createdAt,
      status: requests.status,
      decidedAt: requests.decidedAt,
      outcomeComment: requests.outcomeComment,
      windowEndsAt: requests.windowEndsAt,
      kind: requests.kind,
      startsAt: requests.startsAt,
      emergency: requests.emergency,
      currentLevel: requests.currentLevel,
      levels: sql<number>`(select coalesce(max((a ->> 'level')::int), 0) from jsonb_array_elements(${requests.policy} -> 'approvers') a)`,
      grantId: grants.id,
      grantState: grants.state,
      activatedAt: grants.activatedAt,
      expiresAt: grants.expiresAt,
      removedAt: grants.removedAt,
      removalVerifiedAt: grants.removalVerifiedAt,
      /** Per DC: whether the add (or the removal) has reached it yet. */
      replication: grants.replication,
      extendedMinutes: grants.extendedMinutes,
      allowExtension: privileges.allowExtension,
      maxTotalMinutes: sql<number>`coalesce(${privileges.maxTotalMinutes}, ${privileges.maxDurationMinutes})`,
      /** An extension of this grant waiting for approval. */
      pendingExtension: sql<{ requestId: string; minutes: number } | null>`(select json_build_object('requestId', e.id, 'minutes', e.duration_minutes) from requests e where e.extends_grant_id = ${grants.id} and e.status = 'pending' limit 1)`,
      endReason: grants.endReason,
      lastError: grants.lastError,
      attempts: grants.attempts,
    })
    .from(requests)
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .leftJoin(catalogCredentials, eq(catalogCredentials.id, requests.credentialId))
    .leftJoin(grants, eq(grants.requestId, requests.id))
    // Extension requests show on the grant they extend (pendingExtension), not as rows of their own.
    .where(and(eq(requests.requesterId, user.id), eq(requests.kind, "access")))
    .orderBy(desc(requests.createdAt))
    .limit(limit);
}
