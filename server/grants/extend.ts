import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import { db, type Transaction } from "@/db";
import { catalogCredentials, grants, privileges, requests } from "@/db/schema";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { evaluateRequest, loadPerson, situationOf } from "@/server/access-groups/enforcement";
import { readApprovers } from "@/server/access-groups/service";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { conflict, forbidden, invalid, notFound, refused, unauthenticated } from "@/server/errors";
import { notifyScheduleChanged } from "@/server/jobs/enqueue";
import { emitNotification } from "@/server/notifications/emit";
import { missingFieldsReason } from "@/server/requests/required-fields";
import { extendGrantInput, type ExtendGrantInput } from "@/server/requests/schemas";
import { withOwnerRule } from "@/server/requests/service";
import { scheduleExpiry, scheduleExpiryWarning } from "./schedule";

/*
 * Extensions: the holder of an active grant asks for more time, up to the privilege's maximum
 * total. The holder must still be allowed the privilege now (an extension is checked like a new
 * request), and the access group that allows it now sets the rule: without approval the end moves at once; with approval it waits in the approvers' inbox
 * as an "extension" request, and the last approval moves the end. Moving the end reschedules the
 * expiry job and the warning through their job keys.
 */

const MINUTE = 60_000;

/** Minutes the grant has run and will run (activation to current end), rounded up. */
function totalMinutes(g: { activatedAt: Date | null; expiresAt: Date | null }): number {
  if (!g.activatedAt || !g.expiresAt) return 0;
  return Math.ceil((g.expiresAt.getTime() - g.activatedAt.getTime()) / MINUTE);
}

export async function extendGrant(user: SessionUser, actor: AuditActor, raw: z.input<typeof extendGrantInput>) {
  const input: ExtendGrantInput = extendGrantInput.parse(raw);
  const [peek] = await db.select().from(grants).where(eq(grants.id, input.grantId));
  if (!peek) throw notFound("No such grant.");
  assertCan(user, "extend", "Grant", { userId: peek.userId });
  // AD removes a TTL membership itself at the TTL it was added with: moving our end would not move AD's.
  if (peek.mechanism === "ttl") throw invalid("This access was granted with a TTL that AD enforces: it cannot be extended. Ask for it again when it ends.");
  const [original] = await db.select().from(requests).where(eq(requests.id, peek.requestId));
  // A privilege set is held as one, for one duration: extending part of it would split it.
  if (original?.privilegeSetId) throw invalid("Access granted as a privilege set cannot be extended. Ask for the set again when it ends.");
  const [privilege] = await db.select().from(privileges).where(eq(privileges.id, peek.privilegeId));
  if (!privilege?.enabled || !privilege.allowExtension) throw forbidden(`"${privilege?.name ?? "This privilege"}" cannot be extended.`);
  const [credential] = original?.credentialId ? await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, original.credentialId)) : [];

  // More time is a new decision: the holder must still be allowed this privilege now (membership,
  // activation, criteria, limits, location), and the group that allows it now sets the rule.
  const person = await loadPerson(user.id);
  if (!person) throw unauthenticated("Sign in again.");
  const situation = await situationOf(person, actor.ip);
  const verdict = withOwnerRule(
    evaluateRequest(situation, { privilege, credential: credential ?? null }, input.minutes, new Date()),
    credential ?? null,
    person,
  );
  if (!verdict.ok) {
    await db.transaction((tx) =>
      recordAudit(tx, actor, [
        {
          action: "request.refused",
          targetType: "privilege",
          targetId: privilege.id,
          data: { privilege: privilege.name, rule: verdict.rule, reason: `Extension: ${verdict.reason}`, location: situation.locationText },
        },
      ]),
    );
    throw refused(verdict.rule, `Refused (${verdict.rule}): ${verdict.reason}`);
  }
  const group = verdict.group;
  // The same fields as a request: an extension is a new decision, and approvers see them.
  const missing = missingFieldsReason(group, verdict.requiredFields, input);
  if (missing) throw invalid(`Refused (fields): ${missing}`, "fields");
  const approvers = await readApprovers(db, group.id);
  const awaitingApproval = verdict.requiresApproval;
  if (awaitingApproval && approvers.approvers.length === 0) {
    throw refused("approval", `The access group ${group.name} requires approval but has no approvers.`);
  }

  return db.transaction(async (tx) => {
    const [grant] = await tx.select().from(grants).where(eq(grants.id, input.grantId)).for("update");
    if (!grant || grant.state !== "active" || grant.endReason || !grant.expiresAt || grant.expiresAt <= new Date()) {
      throw conflict("Only active access that has not ended can be extended.");
    }
    const maxTotal = privilege.maxTotalMinutes ?? privilege.maxDurationMinutes;
    const room = maxTotal - totalMinutes(grant);
    if (input.minutes > room) {
      throw invalid(
        room > 0
          ? `"${privilege.name}" can be held for at most ${maxTotal} minutes in total: extend by at most ${room} minutes.`
          : `"${privilege.name}" has reached its maximum of ${maxTotal} minutes in total.`,
        "duration",
      );
    }
    const [waiting] = await tx
      .select({ id: requests.id })
      .from(requests)
      .where(and(eq(requests.extendsGrantId, grant.id), eq(requests.status, "pending")));
    if (waiting) throw conflict("An extension of this access is already waiting for approval.");

    const now = new Date();
    const policy: FrozenPolicy = {
      group,
      levels: approvers.levels,
      approvers: approvers.approvers.map((a) => ({ userGuid: a.userGuid, username: a.username, displayName: a.displayName, level: a.level })),
      checkedAt: now.toISOString(),
    };
    // Never past the window the grant started in, nor past the one that allows the extension now.
    const ends = [grant.notAfter, verdict.windowEndsAt].filter((d): d is Date => d !== null);
    const windowEndsAt = ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
    const [request] = await tx
      .insert(requests)
      .values({
        kind: "extension",
        extendsGrantId: grant.id,
        requesterId: user.id,
        privilegeId: grant.privilegeId,
        targetDn: grant.memberDn,
        credentialId: original?.credentialId ?? null,
        durationMinutes: input.minutes,
        justification: input.justification,
        changeId: input.changeId || null,
        governanceCode: input.governanceCode || null,
        accessGroupId: group.id,
        policy,
        locationCountry: situation.location?.country ?? null,
        locationRegion: situation.location?.region ?? null,
        windowEndsAt,
        status: awaitingApproval ? "pending" : "approved",
        approvalDeadline: awaitingApproval
          ? new Date(Math.min(now.getTime() + env.REQUEST_APPROVAL_TIMEOUT_HOURS * 3_600_000, grant.expiresAt.getTime()))
          : null,
        decidedAt: awaitingApproval ? null : now,
        clientIp: actor.ip ?? null,
      })
      .returning();
    await recordAudit(tx, actor, [
      {
        action: "request.extension_requested",
        targetType: "request",
        targetId: request!.id,
        data: { grantId: grant.id, privilege: privilege.name, minutes: input.minutes, justification: input.justification, awaitingApproval },
      },
    ]);
    if (awaitingApproval) {
      await emitNotification(tx, "approval_needed", [{ requestId: request!.id, grantId: grant.id, data: { level: 1 } }]);
      return { requestId: request!.id, status: "pending" as const, expiresAt: grant.expiresAt };
    }
    const applied = await applyExtension(tx, actor, request!, input.minutes);
    if (!applied.ok) throw conflict(applied.reason);
    await recordAudit(tx, actor, [{ action: "request.approved", targetType: "request", targetId: request!.id, data: { automatic: true, grantId: grant.id } }]);
    return { requestId: request!.id, status: "approved" as const, expiresAt: applied.expiresAt };
  });
}

/**
 * Moves the end of the grant an extension request names, in the caller's transaction (the
 * automatic path above, or the last approval). Refuses when the access has ended meanwhile or the
 * extension would now exceed the maximum; never past the access group's window (not_after).
 */
export async function applyExtension(
  tx: Transaction,
  actor: AuditActor,
  request: Pick<typeof requests.$inferSelect, "id" | "extendsGrantId" | "windowEndsAt">,
  minutes: number,
): Promise<{ ok: true; expiresAt: Date } | { ok: false; reason: string }> {
  const [grant] = await tx.select().from(grants).where(eq(grants.id, request.extendsGrantId!)).for("update");
  if (!grant || grant.state !== "active" || grant.endReason || !grant.expiresAt || grant.expiresAt <= new Date()) {
    return { ok: false, reason: "The access ended before the extension could be applied." };
  }
  const [privilege] = await tx.select().from(privileges).where(eq(privileges.id, grant.privilegeId));
  const maxTotal = privilege ? (privilege.maxTotalMinutes ?? privilege.maxDurationMinutes) : 0;
  if (!privilege?.allowExtension || totalMinutes(grant) + minutes > maxTotal) {
    return { ok: false, reason: `The extension would exceed the maximum of ${maxTotal} minutes in total, or the privilege no longer allows extensions.` };
  }
  const wanted = grant.expiresAt.getTime() + minutes * MINUTE;
  const limits = [grant.notAfter, request.windowEndsAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  const expiresAt = new Date(Math.min(wanted, ...limits));
  const [row] = await tx
    .update(grants)
    .set({ expiresAt, extendedMinutes: sql`${grants.extendedMinutes} + ${minutes}`, updatedAt: sql`now()` })
    .where(eq(grants.id, grant.id))
    .returning();
  // Same job keys: the safety-net removal and the warning move with the end.
  await scheduleExpiry(tx, grant.id, expiresAt);
  await scheduleExpiryWarning(tx, row!);
  await notifyScheduleChanged(tx);
  await recordAudit(tx, actor, [
    {
      action: "grant.extended",
      targetType: "grant",
      targetId: grant.id,
      data: {
        requestId: request.id,
        minutes,
        previousExpiresAt: grant.expiresAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        clipped: expiresAt.getTime() < wanted,
      },
    },
  ]);
  await emitNotification(tx, "extended", [{ requestId: request.id, grantId: grant.id, data: { actor: actor.name } }]);
  return { ok: true, expiresAt };
}
