import "server-only";
import type { z } from "zod";
import { and, eq, inArray, sql } from "drizzle-orm";
import { db, type Transaction } from "@/db";
import { accessGroupActivations, accessGroups, catalogCredentials, privileges, requests } from "@/db/schema";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import {
  evaluateRequest,
  loadPerson,
  publicVerdict,
  requesterAccess,
  situationOf,
  type Credential,
  type Privilege,
  type RequesterSituation,
  type Verdict,
} from "@/server/access-groups/enforcement";
import { readApprovers } from "@/server/access-groups/service";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { conflict, invalid, notFound, refused, unauthenticated } from "@/server/errors";
import { createGrants } from "@/server/grants/create";
import { isLiveGrantConflict, liveGrantConflict, liveGrantMessage, liveGrantOn, ONE_LIVE_RULE } from "@/server/grants/one-live";
import { othersAccountReason } from "@/server/catalog/ownership";
import { emitNotification } from "@/server/notifications/emit";
import { isOutsideUsualHours } from "@/server/access-groups/policy/usual-hours";
import { evaluateSetRequest, setDurations, setsForRequester } from "@/server/privilege-sets/eligibility";
import { requestableSet } from "@/server/privilege-sets/service";
import type { LoadedSet } from "@/server/privilege-sets/store";
import { missingFieldsReason } from "./required-fields";
import type { SessionSubmission } from "./session-hook";
import { previewRequestInput, submitRequestInput, type PreviewRequestInput, type SubmitRequestInput } from "./schemas";

async function person(user: SessionUser) {
  // The account comes from our row (written at sign-in from AD), never from the session token.
  const p = await loadPerson(user.id);
  if (!p) throw unauthenticated("Sign in again.");
  return p;
}

/** What a request asks for: one privilege, or every privilege of a set (one grant each, all or none). */
interface Subject {
  /** In words, for messages and the audit trail: the privilege's name, or the set's. */
  name: string;
  /** What is granted; the first is what requests.privilege_id points at. */
  privileges: Privilege[];
  set: LoadedSet | null;
  credential: Credential | null;
  maxDurationMinutes: number;
}

async function subjectOf(input: { privilegeId?: string; privilegeSetId?: string; credentialId: string | null }, session?: SessionSubmission): Promise<Subject> {
  let credential: Credential | null = null;
  if (input.credentialId !== null) {
    const [row] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, input.credentialId));
    if (!row || !row.present) throw notFound("This privileged account is not in the catalog (anymore).");
    credential = session ? { ...row, deviceNames: [session.deviceName] } : row;
  }
  if (input.privilegeSetId !== undefined) {
    const set = await requestableSet(input.privilegeSetId);
    return { name: set.name, privileges: set.privileges, set, credential, maxDurationMinutes: setDurations(set.privileges).maxDurationMinutes };
  }
  const ids = session?.privilegeIds ?? [input.privilegeId!];
  const rows = await db.select().from(privileges).where(inArray(privileges.id, ids));
  const granted = ids.map((id) => rows.find((p) => p.id === id));
  if (granted.some((p) => !p?.enabled)) throw notFound("This privilege is not available for requests.");
  const all = granted as Privilege[];
  return {
    name: all.map((p) => p.name).join(" + "),
    privileges: all,
    set: null,
    credential,
    maxDurationMinutes: Math.min(...all.map((p) => p.maxDurationMinutes)),
  };
}

function evaluateSubject(s: Awaited<ReturnType<typeof situationOf>>, subject: Subject, durationMinutes: number, at: Date, options: { emergency: boolean }) {
  return subject.set
    ? evaluateSetRequest(s, { set: subject.set, credential: subject.credential }, durationMinutes, at, options)
    : evaluateRequest(s, { privilege: subject.privileges[0]!, credential: subject.credential }, durationMinutes, at, options);
}

/**
 * Separation of duties: a catalog account owned by someone else is refused unless the binding
 * group allows others' accounts (rule "account", like the criteria's refusal of an account).
 */
export function withOwnerRule(verdict: Verdict, credential: Credential | null, requester: { objectGuid: string; dn: string }): Verdict {
  if (!verdict.ok) return verdict;
  const reason = othersAccountReason(credential, { guid: requester.objectGuid, dn: requester.dn }, verdict.group);
  return reason ? { ok: false, rule: "account", reason, nextWindowStartsAt: null } : verdict;
}

/** What the requester page lists: exactly what the user's enabled, active access groups allow, privileges and sets. */
export async function myAccess(user: SessionUser, actor: AuditActor) {
  assertCan(user, "request", "Privilege");
  const account = await person(user);
  const situation = await situationOf(account, actor.ip);
  const now = new Date();
  const [access, sets] = await Promise.all([requesterAccess(account, actor.ip, now, situation), setsForRequester(situation, now)]);
  return { ...access, sets };
}

/** The form's live check: which group would bind the request, which fields it needs, when it would end. */
export async function previewRequest(user: SessionUser, actor: AuditActor, raw: z.input<typeof previewRequestInput>) {
  assertCan(user, "request", "Privilege");
  const input: PreviewRequestInput = previewRequestInput.parse(raw);
  const t = await subjectOf(input);
  const s = await situationOf(await person(user), actor.ip);
  const at = input.startsAt && input.startsAt > new Date() ? input.startsAt : new Date();
  const verdict = withOwnerRule(
    evaluateSubject(s, t, Math.min(input.durationMinutes, t.maxDurationMinutes), at, { emergency: input.emergency }),
    t.credential,
    s.person,
  );
  // Who would decide, level by level, so the requester knows before submitting; and whether they are
  // among them (they cannot approve their own request: the form says so).
  const listed = verdict.ok ? await readApprovers(db, verdict.group.id) : null;
  const approvalLevels =
    listed && verdict.ok && verdict.requiresApproval
      ? listed.levels.map((l) => ({
          level: l.level,
          requiredApprovals: l.requiredApprovals,
          approvers: listed.approvers.filter((a) => a.level === l.level).map((a) => a.displayName || a.username),
        }))
      : [];
  const selfApprover = listed?.approvers.some((a) => a.userGuid.toLowerCase() === s.person.objectGuid.toLowerCase()) ?? false;
  const outsideUsualHours = verdict.ok ? isOutsideUsualHours(verdict.group.settings, verdict.group.timeZone, at) : false;
  return { ...publicVerdict(verdict), approvalLevels, selfApprover, outsideUsualHours, location: s.locationText, maxDurationMinutes: t.maxDurationMinutes };
}

/**
 * Submits a request, checked against the requester's access groups: the binding group (see
 * policy/groups.ts) decides the required fields, approval and the latest end. A group without
 * approval creates the grant at once (request, grant, activation job and audit commit together);
 * with approval the request waits. Refusals are audited too. A privilege set is one request whose
 * grants (one per privilege) are all created in the same transaction (see privilege-sets/).
 *
 * In three steps: the checks (no lock), then in one transaction the re-check under locks and the writes.
 */
export async function submitRequest(user: SessionUser, actor: AuditActor, raw: z.input<typeof submitRequestInput>, session?: SessionSubmission) {
  assertCan(user, "request", "Privilege");
  // Parsed again: the worker, scripts and tests call services without tRPC.
  const input: SubmitRequestInput = submitRequestInput.parse(raw);
  const checked = await checkSubmission(user, actor, input, session);
  return db
    .transaction(async (tx) => {
      await lockAndRecheck(tx, user, checked);
      const written = await writeSubmission(tx, user, actor, input, checked);
      if (session) await session.onWritten(tx, written.requestId, written.status === "approved", checked.verdict.group);
      return written;
    })
    .catch(async (err: unknown) => {
      // The account already holds the group (found by the re-check, or by the index in a race): audited like any refusal.
      if (isLiveGrantConflict(err)) await auditRefusal(actor, checked.subject, ONE_LIVE_RULE, err.message, checked.situation.locationText);
      throw err;
    });
}

async function auditRefusal(actor: AuditActor, subject: Subject, rule: string, reason: string, location: string) {
  await db.transaction((tx) =>
    recordAudit(tx, actor, [
      {
        action: "request.refused",
        targetType: subject.set ? "privilege_set" : "privilege",
        targetId: subject.set?.id ?? subject.privileges[0]!.id,
        data: { privilege: subject.name, rule, reason, location },
      },
    ]),
  );
}

/** What the checks found: the request is allowed, by this group, for this account. */
interface CheckedSubmission {
  subject: Subject;
  account: Awaited<ReturnType<typeof person>>;
  situation: RequesterSituation;
  verdict: Extract<Verdict, { ok: true }>;
  approvers: Awaited<ReturnType<typeof readApprovers>>;
  /** The account the grant elevates: the requester's own, or the catalog credential's. */
  member: { guid: string; dn: string };
  /** The group's version the verdict was reached with (the transaction re-checks it). */
  checkedVersion: number;
  now: Date;
  startsAt: Date | null;
}

/** Rules whose refusal is about the input itself (400), not a policy saying no (403). */
const INPUT_RULES = ["duration", "fields", "credential", "schedule"];

/** Step 1: every check that needs no lock. Each refusal is audited with its rule, then thrown. */
async function checkSubmission(user: SessionUser, actor: AuditActor, input: SubmitRequestInput, session?: SessionSubmission): Promise<CheckedSubmission> {
  const account = await person(user);
  const subject = await subjectOf(input, session);
  const { credential, set } = subject;
  const refuse = async (rule: string, reason: string, location = "not checked"): Promise<never> => {
    await auditRefusal(actor, subject, rule, reason, location);
    const message = `Refused (${rule}): ${reason}`;
    throw INPUT_RULES.includes(rule) ? invalid(message, rule) : refused(rule, message);
  };
  if (input.durationMinutes > subject.maxDurationMinutes) {
    await refuse(
      "duration",
      set
        ? `The privilege set "${set.name}" can be held for at most ${subject.maxDurationMinutes} minutes (the shortest maximum of its privileges).`
        : `"${subject.name}" can be held for at most ${subject.maxDurationMinutes} minutes.`,
    );
  }
  if (credential && (!credential.objectGuid || !credential.dn)) {
    await refuse("credential", `${credential.username} is a manual catalog entry, not a directory account: it cannot be added to an AD group.`);
  }
  const now = new Date();
  if (input.startsAt && input.startsAt.getTime() < now.getTime() - 60_000)
    await refuse("schedule", "The start time has passed. Pick a time in the future, or leave it empty to start now.");
  if (input.startsAt && input.startsAt.getTime() > now.getTime() + env.SCHEDULE_MAX_DAYS * 86_400_000) {
    await refuse("schedule", `Access can be scheduled at most ${env.SCHEDULE_MAX_DAYS} days ahead.`);
  }
  if (input.startsAt && input.emergency) await refuse("schedule", "Emergency access starts now; it cannot be scheduled.");
  // A start within the next minute is "now"; a later one is checked against the group's limits then.
  const startsAt = input.startsAt && input.startsAt.getTime() > now.getTime() + 60_000 ? input.startsAt : null;
  const situation = await situationOf(account, actor.ip);
  const verdict = withOwnerRule(
    evaluateSubject(situation, subject, input.durationMinutes, startsAt ?? now, { emergency: input.emergency }),
    credential,
    account,
  );
  if (!verdict.ok) return refuse(verdict.rule, verdict.reason, situation.locationText);
  if (session && verdict.group.id !== session.groupId)
    await refuse("criteria", `The session's privileges are granted under ${verdict.group.name}, which does not allow this session.`, situation.locationText);
  const missing = missingFieldsReason(verdict.group, verdict.requiredFields, input);
  if (missing) await refuse("fields", missing, situation.locationText);
  const approvers = await readApprovers(db, verdict.group.id);
  if (verdict.requiresApproval && approvers.approvers.length === 0) {
    await refuse(
      "approval",
      `The access group ${verdict.group.name} requires approval but has no approvers yet. Ask an administrator to add approvers.`,
      situation.locationText,
    );
  }
  const member = credential ? { guid: credential.objectGuid!, dn: credential.dn! } : { guid: account.objectGuid, dn: account.dn };
  const checkedVersion = situation.memberships.find((m) => m.group.id === verdict.group.id)!.group.version;
  return { subject, account, situation, verdict, approvers, member, checkedVersion, now, startsAt };
}

/**
 * Step 2, in the transaction: serialize requests for this account and these privileges, and check
 * again what may have changed since step 1 (the group, a live grant, a request already waiting).
 */
async function lockAndRecheck(tx: Transaction, user: SessionUser, c: CheckedSubmission) {
  const { subject, member, verdict } = c;
  const { credential, set } = subject;
  // Serialize requests for this account and privilege so a double click cannot create two grants.
  // hashtext keeps the lock key an int; a collision only makes two requests wait briefly. A set
  // takes its privileges' locks in one order, so two overlapping set requests cannot deadlock.
  for (const key of subject.privileges.map((p) => `${member.guid.toLowerCase()}:${p.id}`).sort()) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
  }
  // The policy checked above must still be the group's: an admin saving any tab (which bumps the
  // version) or changing this member's activation in between makes the requester look again.
  const [group] = await tx
    .select({ version: accessGroups.version, enabled: accessGroups.enabled })
    .from(accessGroups)
    .where(eq(accessGroups.id, verdict.group.id))
    .for("share");
  const [activation] = await tx
    .select({ state: accessGroupActivations.state })
    .from(accessGroupActivations)
    .where(and(eq(accessGroupActivations.groupId, verdict.group.id), sql`lower(${accessGroupActivations.userGuid}) = ${c.account.objectGuid.toLowerCase()}`))
    .for("share");
  if (!group || group.version !== c.checkedVersion || !group.enabled || activation?.state !== "active") {
    throw conflict(`The access group ${verdict.group.name} changed while your request was checked. Look at the page again and resubmit.`);
  }
  // One live grant per account and AD group, whichever privilege publishes the group (the index backs it).
  const live = await liveGrantOn(
    tx,
    member.guid,
    subject.privileges.map((p) => p.groupGuid),
  );
  if (live) throw liveGrantConflict(liveGrantMessage(credential?.username ?? null, live));
  const ids = subject.privileges.map((p) => p.id);
  // A waiting request for the same account that asks for any of these privileges, alone or in a set.
  const [waiting] = await tx
    .select({ privilegeSetId: requests.privilegeSetId })
    .from(requests)
    .where(
      and(
        eq(requests.requesterId, user.id),
        eq(requests.status, "pending"),
        credential ? eq(requests.credentialId, credential.id) : sql`${requests.credentialId} is null`,
        // One text parameter: drizzle would spread an array into a list.
        sql`(${requests.privilegeId} = any(string_to_array(${ids.join(",")}, ',')::uuid[]) or ${requests.setPrivilegeIds} && string_to_array(${ids.join(",")}, ',')::uuid[])`,
      ),
    );
  if (waiting) {
    const same = set ? waiting.privilegeSetId === set.id : waiting.privilegeSetId === null;
    throw conflict(
      same
        ? `You already asked for "${subject.name}"; that request is waiting for approval.`
        : `A request of yours for some of these privileges is already waiting for approval.`,
    );
  }
}

/**
 * Step 3, in the same transaction: the request with its frozen policy, its audit and notifications;
 * without approval, its grants too.
 */
async function writeSubmission(tx: Transaction, user: SessionUser, actor: AuditActor, input: SubmitRequestInput, c: CheckedSubmission) {
  const { subject, verdict, situation, member, now, startsAt } = c;
  const { credential, set } = subject;
  const granted = subject.privileges;
  const policy: FrozenPolicy = {
    group: verdict.group,
    levels: c.approvers.levels,
    approvers: c.approvers.approvers.map((a) => ({ userGuid: a.userGuid, username: a.username, displayName: a.displayName, level: a.level })),
    checkedAt: now.toISOString(),
  };
  const awaitingApproval = verdict.requiresApproval;
  const outsideUsualHours = isOutsideUsualHours(verdict.group.settings, verdict.group.timeZone, startsAt ?? now);
  const [request] = await tx
    .insert(requests)
    .values({
      requesterId: user.id,
      privilegeId: granted[0]!.id,
      privilegeSetId: set?.id ?? null,
      setPrivilegeIds: set || granted.length > 1 ? granted.map((p) => p.id) : null,
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
        privilegeId: granted[0]!.id,
        privilege: subject.name,
        ...(set ? { privilegeSetId: set.id, privileges: granted.map((p) => p.name) } : {}),
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

  const created = await createGrants(tx, {
    requestId: request!.id,
    userId: user.id,
    privileges: granted,
    member,
    durationMinutes: input.durationMinutes,
    notAfter: verdict.windowEndsAt,
    startsAt,
  });
  const grantIds = created.map((g) => g.id);
  await recordAudit(tx, actor, [
    {
      action: "request.approved",
      targetType: "request",
      targetId: request!.id,
      data: { automatic: true, grantId: grantIds[0]!, ...(set ? { grantIds } : {}) },
    },
  ]);
  return { requestId: request!.id, grantId: grantIds[0]!, grantIds, status: "approved" as const, accessGroup: verdict.group.name };
}
