import "server-only";
import { and, eq, gt, inArray, isNotNull, isNull, notInArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { driftFindings, grants, privilegeDriftSettings } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { addMembers, listGroupMembers, type GroupMember } from "@/server/directory/service";
import { env } from "@/server/env";
import { IN_DIRECTORY_STATES, LIVE_GRANT_STATES } from "@/server/grants/states";
import { readMemberDetails } from "./directory";
import { cnOf, type DriftAction } from "./policy";
import { databaseNow, settleDrift } from "./record";

/*
 * Drift inside Interim's own temporary groups (server/directory/temporary-groups.ts). Such a group
 * is nested into a privilege's group, so whoever else is in it holds that privilege: the only
 * member Interim expects is the grant's account. Extra members are findings of the privilege's
 * group (removed per its drift action, like standing access); a missing account is put back.
 */

export const HIJACK_NOTE = "Was in the grant's temporary group before Interim adopted it: the grant was refused.";

/**
 * An existing group with the grant's temporary-group name held members Interim did not put there:
 * the grant is refused (by the caller) and each such member becomes a finding, audited as drift.
 */
export async function recordHijackedTemporaryGroup(input: { grantId: string; groupGuid: string; groupDn: string; unexpected: GroupMember[] }) {
  const [grant] = await db.select({ privilegeId: grants.privilegeId }).from(grants).where(eq(grants.id, input.grantId));
  if (!grant || input.unexpected.length === 0) return;
  const details = await readMemberDetails(input.unexpected.map((m) => m.guid));
  await db.transaction(async (tx) => {
    const rows = await tx
      .insert(driftFindings)
      .values(
        input.unexpected.map((m) => {
          const d = details.get(m.guid);
          return {
            privilegeId: grant.privilegeId,
            groupGuid: input.groupGuid,
            groupDn: input.groupDn,
            memberGuid: m.guid,
            memberDn: m.dn,
            memberName: d?.sam ?? d?.cn ?? cnOf(m.dn),
            memberClass: d?.memberClass ?? "unknown",
            kind: "standing" as const,
            note: HIJACK_NOTE,
          };
        }),
      )
      .onConflictDoNothing({ target: [driftFindings.groupGuid, driftFindings.memberGuid], where: sql`cleared_at is null` })
      .returning();
    await recordAudit(
      tx,
      SYSTEM_ACTOR,
      rows.map((f) => ({
        action: "directory.drift_found" as const,
        targetType: "group" as const,
        targetId: input.groupDn,
        data: { findingId: f.id, groupDn: input.groupDn, memberDn: f.memberDn, memberName: f.memberName, kind: f.kind, note: f.note },
      })),
    );
  });
}

/** What the temporary-group pass adds to the reconcile's result. */
export interface TemporaryDriftTally {
  driftFound: number;
  standingRemoved: number;
  reapplied: number;
  errors: { groupDn: string; error: string }[];
}

/**
 * The reconcile's pass over the live grants' temporary groups: findings for members other than
 * the grant's account (removed where the privilege's drift action is "remove"), the account put
 * back when someone took it out, and findings of groups whose grant has ended (the group is gone
 * with it) closed.
 */
export async function reconcileTemporaryGroups(result: TemporaryDriftTally) {
  const live = await db
    .select({
      id: grants.id,
      privilegeId: grants.privilegeId,
      memberGuid: grants.memberGuid,
      memberDn: grants.memberDn,
      tempGroupGuid: grants.tempGroupGuid,
      tempGroupDn: grants.tempGroupDn,
      action: sql<DriftAction>`coalesce(${privilegeDriftSettings.action}, 'alert')`,
    })
    .from(grants)
    .leftJoin(privilegeDriftSettings, eq(privilegeDriftSettings.privilegeId, grants.privilegeId))
    .where(and(eq(grants.mechanism, "temporary-group"), inArray(grants.state, [...IN_DIRECTORY_STATES]), isNotNull(grants.tempGroupGuid)));
  for (const g of live) {
    const groupGuid = g.tempGroupGuid!.toLowerCase();
    const groupDn = g.tempGroupDn ?? groupGuid;
    try {
      const listedAt = await databaseNow();
      const members = await listGroupMembers({ guid: groupGuid });
      const account = g.memberGuid.toLowerCase();
      const unexplained = members.filter((m) => m.guid !== account).map((member) => ({ member, kind: "standing" as const, lastGrantId: null }));
      const drift = await settleDrift(
        { privilegeId: g.privilegeId, groupGuid, groupDn, action: g.action },
        new Set(members.map((m) => m.guid)),
        unexplained,
        listedAt,
      );
      result.driftFound += drift.found;
      result.standingRemoved += drift.standingRemoved;
      if (!members.some((m) => m.guid === account)) result.reapplied += await putAccountBack(g.id, groupGuid, groupDn, g.memberGuid, g.memberDn);
    } catch (err) {
      result.errors.push({ groupDn, error: err instanceof Error ? err.message : String(err) });
    }
  }
  await closeFindingsOfEndedGroups();
}

/** Re-adds the grant's account to its temporary group, unless the grant ended or is about to (the sweep's then). */
async function putAccountBack(grantId: string, groupGuid: string, groupDn: string, memberGuid: string, memberDn: string): Promise<number> {
  return db.transaction(async (tx) => {
    const [still] = await tx
      .select({ id: grants.id })
      .from(grants)
      .where(
        and(
          eq(grants.id, grantId),
          inArray(grants.state, [...IN_DIRECTORY_STATES]),
          gt(grants.expiresAt, sql`now() + make_interval(secs => ${env.GRANT_LEASE_SECONDS})`),
        ),
      )
      .for("update");
    if (!still) return 0;
    await addMembers(groupGuid, [memberGuid]);
    await recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.reapplied", targetType: "grant", targetId: grantId, data: { groupDn, memberDn } }]);
    return 1;
  });
}

/** Open findings in the temporary group of a grant that has ended: the sweep deleted the group, and its members with it. */
async function closeFindingsOfEndedGroups() {
  const ended = db
    .select({ guid: sql`lower(${grants.tempGroupGuid})` })
    .from(grants)
    .where(and(isNotNull(grants.tempGroupGuid), notInArray(grants.state, [...LIVE_GRANT_STATES])));
  await db
    .update(driftFindings)
    .set({
      resolution: sql`coalesce(${driftFindings.resolution}, 'gone')`,
      resolvedAt: sql`coalesce(${driftFindings.resolvedAt}, now())`,
      clearedAt: sql`now()`,
    })
    .where(and(isNull(driftFindings.clearedAt), inArray(driftFindings.groupGuid, ended)));
}
