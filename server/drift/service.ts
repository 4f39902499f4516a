import "server-only";
import { and, asc, count, desc, eq, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { db, type Executor } from "@/db";
import { driftFindings, driftLastCheck, grants, privilegeDriftSettings, privileges, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { removeMembers } from "@/server/directory/service";
import { conflict, invalid, notFound } from "@/server/errors";
import { restoreForLiveGrants } from "@/server/grants/restore";
import { stateSql } from "@/server/grants/state-sql";
import { LIVE_GRANT_STATES } from "@/server/grants/states";
import { enqueue, jobKeys } from "@/server/jobs/enqueue";
import { jobIsDue } from "@/server/jobs/queue";
import type { DriftFindingInput, DriftSettingsInput } from "./schemas";

/*
 * The drift dashboard: what the reconcile found (server/drift/record.ts), what it should do
 * with standing access per privilege, and an admin's decisions on single findings.
 */

export const openFinding = isNull(driftFindings.resolution);

/** Open findings (for the navigation badge), the latest check, and whether a check is waiting or running. */
export async function driftStatus(user: SessionUser) {
  assertCan(user, "read", "Directory");
  const [[open], [last], checking] = await Promise.all([
    db.select({ n: count() }).from(driftFindings).where(openFinding),
    db.select().from(driftLastCheck).where(eq(driftLastCheck.id, 1)),
    jobIsDue(db, jobKeys.reconcile()),
  ]);
  return {
    openCount: open?.n ?? 0,
    lastCheck: last ? { checkedAt: last.checkedAt, groupsChecked: last.groupsChecked, errors: last.errors } : null,
    checking,
  };
}

export const resolver = alias(users, "resolver");

export const findingColumns = {
  id: driftFindings.id,
  privilegeId: driftFindings.privilegeId,
  privilege: privileges.name,
  groupDn: driftFindings.groupDn,
  memberDn: driftFindings.memberDn,
  memberName: driftFindings.memberName,
  memberClass: driftFindings.memberClass,
  kind: driftFindings.kind,
  note: driftFindings.note,
  firstSeenAt: driftFindings.firstSeenAt,
  lastSeenAt: driftFindings.lastSeenAt,
  resolution: driftFindings.resolution,
  resolvedAt: driftFindings.resolvedAt,
  resolvedBy: resolver.username,
  clearedAt: driftFindings.clearedAt,
};

/** Findings with their privilege and who resolved them. */
export const findingsQuery = () =>
  db
    .select(findingColumns)
    .from(driftFindings)
    .innerJoin(privileges, eq(privileges.id, driftFindings.privilegeId))
    .leftJoin(resolver, eq(resolver.id, driftFindings.resolvedBy));

/** Current findings: open ones first (oldest first), then the accepted ones whose member is still there. */
export async function listFindings(user: SessionUser) {
  assertCan(user, "read", "Directory");
  return findingsQuery()
    .where(and(isNull(driftFindings.clearedAt), or(openFinding, eq(driftFindings.resolution, "accepted"))))
    .orderBy(sql`${driftFindings.resolution} is not null`, asc(driftFindings.firstSeenAt))
    .limit(1000);
}

/** Findings closed lately (removed, or gone by other means), newest first. */
export async function listResolvedFindings(user: SessionUser, limit: number) {
  assertCan(user, "read", "Directory");
  return findingsQuery()
    .where(and(isNotNull(driftFindings.clearedAt), inArray(driftFindings.resolution, ["removed", "gone"])))
    .orderBy(desc(driftFindings.clearedAt))
    .limit(limit);
}

/** Every managed group with its drift action (alert unless set) and its open findings. */
export async function listDriftSettings(user: SessionUser) {
  assertCan(user, "read", "Directory");
  const openByPrivilege = db
    .select({ privilegeId: driftFindings.privilegeId, n: count().as("n") })
    .from(driftFindings)
    .where(openFinding)
    .groupBy(driftFindings.privilegeId)
    .as("open_by_privilege");
  return db
    .select({
      privilegeId: privileges.id,
      privilege: privileges.name,
      groupDn: privileges.groupDn,
      enabled: privileges.enabled,
      action: sql<"alert" | "remove">`coalesce(${privilegeDriftSettings.action}, 'alert')`,
      updatedAt: privilegeDriftSettings.updatedAt,
      updatedBy: users.username,
      openCount: sql<number>`coalesce(${openByPrivilege.n}, 0)::int`,
    })
    .from(privileges)
    .leftJoin(privilegeDriftSettings, eq(privilegeDriftSettings.privilegeId, privileges.id))
    .leftJoin(users, eq(users.id, privilegeDriftSettings.updatedBy))
    .leftJoin(openByPrivilege, eq(openByPrivilege.privilegeId, privileges.id))
    .orderBy(asc(privileges.name));
}

/** Alert only, or remove standing access at each reconcile. Takes effect at the next check. */
export async function setDriftAction(user: SessionUser, actor: AuditActor, input: DriftSettingsInput) {
  assertCan(user, "manage", "Directory");
  return db.transaction(async (tx) => {
    const [privilege] = await tx
      .select({ id: privileges.id, name: privileges.name, groupDn: privileges.groupDn })
      .from(privileges)
      .where(eq(privileges.id, input.privilegeId));
    if (!privilege) throw notFound("No such privilege.");
    const [before] = await tx
      .select({ action: privilegeDriftSettings.action })
      .from(privilegeDriftSettings)
      .where(eq(privilegeDriftSettings.privilegeId, privilege.id))
      .for("update");
    const previous = before?.action ?? "alert";
    if (previous === input.action) return { privilegeId: privilege.id, action: input.action, changed: false };
    await tx
      .insert(privilegeDriftSettings)
      .values({ privilegeId: privilege.id, action: input.action, updatedBy: user.id })
      .onConflictDoUpdate({ target: privilegeDriftSettings.privilegeId, set: { action: input.action, updatedBy: user.id, updatedAt: sql`now()` } });
    await recordAudit(tx, actor, [
      {
        action: "drift.settings_changed",
        targetType: "privilege",
        targetId: privilege.id,
        data: { privilege: privilege.name, groupDn: privilege.groupDn, before: previous, after: input.action },
      },
    ]);
    return { privilegeId: privilege.id, action: input.action, changed: true };
  });
}

async function lockCurrentFinding(tx: Executor, findingId: string) {
  const [finding] = await tx.select().from(driftFindings).where(eq(driftFindings.id, findingId)).for("update");
  if (!finding) throw notFound("No such finding.");
  if (finding.clearedAt) {
    throw conflict(`${finding.memberName} is no longer in this group (${finding.resolution === "removed" ? "removed" : "gone"}).`);
  }
  return finding;
}

/**
 * The admin lets a standing membership stay. It stays accepted while the member stays; if the
 * member leaves and comes back, that is a new finding.
 */
export async function acceptFinding(user: SessionUser, actor: AuditActor, input: DriftFindingInput) {
  assertCan(user, "manage", "Directory");
  return db.transaction(async (tx) => {
    const finding = await lockCurrentFinding(tx, input.findingId);
    if (finding.resolution === "accepted") return { id: finding.id, resolution: "accepted" as const, changed: false };
    if (finding.kind !== "standing") {
      throw invalid(
        "A membership that outlived its grant cannot be accepted: Interim removes it. Grant standing access in Active Directory on purpose instead.",
      );
    }
    await tx
      .update(driftFindings)
      .set({ resolution: "accepted", resolvedAt: sql`now()`, resolvedBy: user.id })
      .where(eq(driftFindings.id, finding.id));
    await recordAudit(tx, actor, [
      {
        action: "drift.finding_accepted",
        targetType: "group",
        targetId: finding.groupDn,
        data: { findingId: finding.id, groupDn: finding.groupDn, memberDn: finding.memberDn, memberName: finding.memberName },
      },
    ]);
    return { id: finding.id, resolution: "accepted" as const, changed: true };
  });
}

/**
 * "Remove now": takes the member out of the AD group (by GUID) and resolves the finding, open or
 * accepted. Refused while a grant holds the membership: the grant removes it when it ends.
 */
export async function removeFinding(user: SessionUser, actor: AuditActor, input: DriftFindingInput) {
  assertCan(user, "manage", "Directory");
  const removed = await db.transaction(async (tx) => {
    const finding = await lockCurrentFinding(tx, input.findingId);
    const [held] = await tx
      .select({ id: grants.id })
      .from(grants)
      .where(
        and(
          eq(grants.groupGuid, finding.groupGuid),
          sql`lower(${grants.memberGuid}) = ${finding.memberGuid}`,
          inArray(grants.state, [...LIVE_GRANT_STATES]),
          sql`not (${grants.state} = ${stateSql("pending")} and ${grants.startsAt} > now())`,
        ),
      )
      .limit(1);
    if (held) {
      throw conflict(`${finding.memberName} now holds a grant for this group; the grant removes the membership when it ends.`);
    }
    // The finding stays locked across the directory write: the reconcile cannot act on it meanwhile.
    await removeMembers(finding.groupGuid, [finding.memberGuid]);
    await tx
      .update(driftFindings)
      // clock_timestamp(): after the directory write, so a reconcile that listed the group before it knows (record.ts).
      .set({ resolution: "removed", resolvedAt: sql`now()`, resolvedBy: user.id, clearedAt: sql`clock_timestamp()` })
      .where(eq(driftFindings.id, finding.id));
    await recordAudit(tx, actor, [
      {
        action: "drift.member_removed",
        targetType: "group",
        targetId: finding.groupDn,
        data: { findingId: finding.id, groupDn: finding.groupDn, memberDn: finding.memberDn, memberName: finding.memberName, kind: finding.kind },
      },
    ]);
    return { id: finding.id, resolution: "removed" as const, groupGuid: finding.groupGuid, groupDn: finding.groupDn, memberGuid: finding.memberGuid };
  });
  // A grant may have started between the check above and the removal: it gets its membership back.
  await restoreForLiveGrants(removed.groupGuid, removed.groupDn, [removed.memberGuid]);
  return { id: removed.id, resolution: removed.resolution };
}

/**
 * "Check now": queues the reconcile at once. It shares the cron's job key, so a run already
 * waiting is moved to now rather than doubled; the page watches driftStatus().checking.
 */
export async function requestDriftCheck(user: SessionUser, actor: AuditActor) {
  assertCan(user, "manage", "Directory");
  await db.transaction(async (tx) => {
    await enqueue(tx, "grants__reconcile", {}, { jobKey: jobKeys.reconcile(), maxAttempts: 1 });
    await recordAudit(tx, actor, [{ action: "drift.check_requested", targetType: "directory", targetId: null, data: {} }]);
  });
  return { queued: true };
}
