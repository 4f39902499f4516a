import "server-only";
import { and, eq, gte, inArray, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { driftFindings, driftLastCheck, type DriftCheckError } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { grantsInterimAdmin } from "@/server/directory/identity";
import { removeMembers } from "@/server/directory/service";
import { env } from "@/server/env";
import { readMemberDetails } from "./directory";
import { cnOf, GRANTS_ADMIN_NOTE, protectionNote, type DriftAction, type Unexplained } from "./policy";

/*
 * The reconcile's drift step for one managed group: keeps drift_findings in step with the
 * directory, alerts (through the audit trail) on each new finding, and takes out what it may:
 * memberships that outlived their grant always, standing access only where the admin chose so.
 */

export interface ManagedGroup {
  privilegeId: string;
  groupGuid: string;
  groupDn: string;
  action: DriftAction;
}

export interface DriftOutcome {
  found: number;
  gone: number;
  outlivedRemoved: number;
  standingRemoved: number;
  /** Members taken out of the group (the caller re-adds any whose grant started meanwhile). */
  removedGuids: string[];
}

type Finding = typeof driftFindings.$inferSelect;

/**
 * The database's clock, read just before a group's members are listed: findings closed after it
 * (cleared_at is written with clock_timestamp() after the directory write) may be listed stale.
 */
export async function databaseNow(): Promise<Date> {
  const [row] = await db.execute<{ now: string }>(sql`select clock_timestamp()::text as now`);
  return new Date(row!.now);
}

/**
 * `present`: every direct member's GUID (lowercase) as listed just after `listedAt` (databaseNow);
 * `unexplained`: the members no live grant holds. A finding for a member a live grant holds is
 * left as it is (neither refreshed nor resolved): the grant speaks for the membership until it ends.
 */
export async function settleDrift(group: ManagedGroup, present: Set<string>, unexplained: Unexplained[], listedAt: Date): Promise<DriftOutcome> {
  const outcome: DriftOutcome = { found: 0, gone: 0, outlivedRemoved: 0, standingRemoved: 0, removedGuids: [] };
  const current = await db
    .select()
    .from(driftFindings)
    .where(and(eq(driftFindings.groupGuid, group.groupGuid), isNull(driftFindings.clearedAt)));
  // Findings an admin (or another run) closed after our member list was read: that list is stale for them.
  const justCleared = new Set(
    (
      await db
        .select({ memberGuid: driftFindings.memberGuid })
        .from(driftFindings)
        .where(and(eq(driftFindings.groupGuid, group.groupGuid), gte(driftFindings.clearedAt, listedAt)))
    ).map((r) => r.memberGuid),
  );
  const byMember = new Map(current.map((f) => [f.memberGuid, f]));

  // An accepted standing membership that now shows as outlived is a different membership.
  const superseded = unexplained.filter((u) => {
    const f = byMember.get(u.member.guid);
    return f?.resolution === "accepted" && f.kind !== u.kind;
  });
  const toOpen = unexplained.filter((u) => (!byMember.has(u.member.guid) || superseded.includes(u)) && !justCleared.has(u.member.guid));
  const toRefresh = unexplained.filter((u) => byMember.has(u.member.guid) && !superseded.includes(u));
  const left = current.filter((f) => !present.has(f.memberGuid));
  const details = await readMemberDetails(toOpen.map((u) => u.member.guid));

  const nothingChanged = !left.length && !superseded.length && !toRefresh.length && !toOpen.length;
  const opened = nothingChanged
    ? []
    : await db.transaction(async (tx) => {
        if (left.length || superseded.length) {
          const leftIds = left.map((f) => f.id);
          const supersededIds = superseded.map((u) => byMember.get(u.member.guid)!.id);
          // Open ones are resolved as gone; accepted ones keep their resolution, only the acceptance ends.
          if (leftIds.length) {
            await tx
              .update(driftFindings)
              .set({
                resolution: sql`coalesce(${driftFindings.resolution}, 'gone')`,
                resolvedAt: sql`coalesce(${driftFindings.resolvedAt}, now())`,
                clearedAt: sql`now()`,
              })
              .where(and(inArray(driftFindings.id, leftIds), isNull(driftFindings.clearedAt)));
          }
          if (supersededIds.length)
            await tx
              .update(driftFindings)
              .set({ clearedAt: sql`now()` })
              .where(inArray(driftFindings.id, supersededIds));
        }
        if (toRefresh.length) {
          // Kind follows the grants (an open standing finding may turn out to be an outlived grant's).
          for (const kind of ["standing", "outlived"] as const) {
            const ids = toRefresh.filter((u) => u.kind === kind).map((u) => byMember.get(u.member.guid)!.id);
            if (ids.length)
              await tx
                .update(driftFindings)
                .set({ lastSeenAt: sql`now()`, kind })
                .where(and(inArray(driftFindings.id, ids), isNull(driftFindings.clearedAt)));
          }
        }
        if (!toOpen.length) return [];
        const values = toOpen.map((u) => {
          const d = details.get(u.member.guid) ?? { memberClass: "unknown" as const, sam: null, upn: null, cn: null };
          return {
            privilegeId: group.privilegeId,
            groupGuid: group.groupGuid,
            groupDn: group.groupDn,
            memberGuid: u.member.guid,
            memberDn: u.member.dn,
            memberName: d.sam ?? d.cn ?? cnOf(u.member.dn),
            memberClass: d.memberClass,
            kind: u.kind,
            note: u.kind === "standing" ? protectionNote(u.member.dn, d, env.LDAP_BIND_DN) : null,
          };
        });
        const rows: (typeof driftFindings.$inferSelect)[] = [];
        // In chunks: a first check of a large group must stay under Postgres' parameter limit.
        for (let i = 0; i < values.length; i += 1000) {
          rows.push(
            ...(await tx
              .insert(driftFindings)
              .values(values.slice(i, i + 1000))
              // Another reconcile (a "Check now" beside the cron) may have opened the same one: theirs stands.
              .onConflictDoNothing({ target: [driftFindings.groupGuid, driftFindings.memberGuid], where: sql`cleared_at is null` })
              .returning()),
          );
        }
        await recordAudit(
          tx,
          SYSTEM_ACTOR,
          rows.map((f) => ({
            action: "directory.drift_found" as const,
            targetType: "group" as const,
            targetId: group.groupDn,
            data: { findingId: f.id, groupDn: group.groupDn, memberDn: f.memberDn, memberName: f.memberName, kind: f.kind, note: f.note },
          })),
        );
        return rows;
      });
  outcome.found = opened.length;
  outcome.gone = left.filter((f) => f.resolution === null).length;

  // What to take out: open findings only (an accepted one stays while the member stays).
  const open = new Map<string, Finding>();
  for (const f of [...current, ...opened]) if (f.clearedAt === null && f.resolution === null && present.has(f.memberGuid)) open.set(f.memberGuid, f);
  const kinds = new Map(unexplained.map((u) => [u.member.guid, u]));
  const outlived = [...open.values()].filter((f) => kinds.get(f.memberGuid)?.kind === "outlived");
  let standing = group.action === "remove" ? [...open.values()].filter((f) => kinds.get(f.memberGuid)?.kind === "standing" && autoRemovable(f)) : [];
  // Publishing refuses such groups, but AD can nest one into the admin group later: taking its
  // standing members out could then lock the admins out of Interim itself.
  if (standing.length && (await grantsInterimAdmin(group.groupGuid))) {
    await db
      .update(driftFindings)
      .set({ note: GRANTS_ADMIN_NOTE })
      .where(
        inArray(
          driftFindings.id,
          standing.map((f) => f.id),
        ),
      );
    standing = [];
  }
  if (outlived.length) {
    const removed = await removeFindings(group, outlived, (f) => ({
      action: "directory.orphan_removed",
      targetType: "group",
      targetId: group.groupDn,
      data: { groupDn: group.groupDn, memberDn: f.memberDn, lastGrantId: kinds.get(f.memberGuid)!.lastGrantId! },
    }));
    outcome.outlivedRemoved = removed.length;
    outcome.removedGuids.push(...removed);
  }
  if (standing.length) {
    const removed = await removeFindings(group, standing, (f) => ({
      action: "directory.standing_removed",
      targetType: "group",
      targetId: group.groupDn,
      data: { findingId: f.id, groupDn: group.groupDn, memberDn: f.memberDn, memberName: f.memberName },
    }));
    outcome.standingRemoved = removed.length;
    outcome.removedGuids.push(...removed);
  }
  return outcome;
}

/** Re-judged on every run from what the finding recorded, so a changed LDAP_BIND_DN counts at once. */
function autoRemovable(f: Finding): boolean {
  return protectionNote(f.memberDn, { memberClass: f.memberClass, sam: f.memberName.toLowerCase(), upn: null, cn: null }, env.LDAP_BIND_DN) === null;
}

/**
 * Takes the members of still-open findings out of the group and resolves them as removed, with
 * one audit event each. The findings stay locked across the directory write, so an admin's
 * "Accept" or "Remove now" waits rather than acting on a member being removed.
 */
async function removeFindings(group: ManagedGroup, findings: Finding[], event: (f: Finding) => AuditEvent): Promise<string[]> {
  return db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(driftFindings)
      .where(
        and(
          inArray(
            driftFindings.id,
            findings.map((f) => f.id),
          ),
          isNull(driftFindings.resolution),
        ),
      )
      .for("update");
    if (!locked.length) return [];
    await removeMembers(
      group.groupGuid,
      locked.map((f) => f.memberGuid),
    );
    await tx
      .update(driftFindings)
      .set({ resolution: "removed", resolvedAt: sql`now()`, clearedAt: sql`clock_timestamp()` })
      .where(
        inArray(
          driftFindings.id,
          locked.map((f) => f.id),
        ),
      );
    await recordAudit(tx, SYSTEM_ACTOR, locked.map(event));
    return locked.map((f) => f.memberGuid);
  });
}

/** The reconcile's summary, kept for the dashboard ("last checked", groups it could not read). */
export async function recordCheck(groupsChecked: number, errors: DriftCheckError[]) {
  await db
    .insert(driftLastCheck)
    .values({ id: 1, checkedAt: sql`now()`, groupsChecked, errors })
    .onConflictDoUpdate({ target: driftLastCheck.id, set: { checkedAt: sql`now()`, groupsChecked, errors } });
}
