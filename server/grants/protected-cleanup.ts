import "server-only";
import { and, gt, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, privileges } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { clearProtectedLeftovers, protectedGroupSids } from "@/server/directory/protected";
import { errorText } from "./error-text";
import { statesSql } from "./state-sql";
import { LIVE_GRANT_STATES, REMOVED_STATES } from "./states";

/*
 * After a grant to an AdminSDHolder-protected group ends: clear what SDProp left on the account
 * (adminCount, inheritance disabled) once it is in no other protected group. A worker cron
 * (grants__protected_cleanup, every minute) looks at grants to protected groups that ended in the
 * last day; it is idempotent (an account without leftovers costs one read), so a crash or a
 * directory outage only delays it.
 */

export interface ProtectedCleanupResult {
  protectedGroups: number;
  checked: number;
  cleared: number;
  failed: number;
}

/** Failures already audited by this process, so a lasting rights problem is recorded once, not every minute. */
const reported = new Set<string>();

export async function cleanupProtectedLeftovers(withinHours = 24): Promise<ProtectedCleanupResult> {
  const result: ProtectedCleanupResult = { protectedGroups: 0, checked: 0, cleared: 0, failed: 0 };
  // Most minutes nothing ended lately: then the directory is not asked at all.
  const [recent] = await db
    .select({ id: grants.id })
    .from(grants)
    .where(
      and(
        inArray(grants.state, [...REMOVED_STATES]),
        sql`${grants.activatedAt} is not null`,
        gt(grants.removedAt, sql`now() - make_interval(hours => ${withinHours})`),
      ),
    )
    .limit(1);
  if (!recent) return result;
  const managed = await db.selectDistinct({ groupGuid: privileges.groupGuid, groupSid: privileges.groupSid }).from(privileges);
  if (managed.length === 0) return result;
  const sids = await protectedGroupSids();
  const protectedGuids = managed.filter((p) => p.groupSid && sids.has(p.groupSid)).map((p) => p.groupGuid);
  result.protectedGroups = protectedGuids.length;
  if (protectedGuids.length === 0) return result;

  // The newest ended grant per account, for grants Interim itself added (not pre-existing memberships).
  const ended = await db
    .selectDistinctOn([grants.memberGuid], { id: grants.id, memberGuid: grants.memberGuid, memberDn: grants.memberDn, groupDn: grants.groupDn })
    .from(grants)
    .where(
      and(
        inArray(grants.groupGuid, protectedGuids),
        inArray(grants.state, [...REMOVED_STATES]),
        sql`${grants.preExisting} = false`,
        // Only grants that put the account into the group (SDProp may then have marked it).
        sql`${grants.activatedAt} is not null`,
        // Not while the account holds (or is being given) another protected grant: tokenGroups may not show a fresh add yet.
        sql`not exists (select 1 from grants live where live.member_guid = ${grants.memberGuid} and live.group_guid in (select unnest(${`{${protectedGuids.join(",")}}`}::text[])) and live.state in ${statesSql(LIVE_GRANT_STATES)})`,
        gt(grants.removedAt, sql`now() - make_interval(hours => ${withinHours})`),
      ),
    )
    .orderBy(grants.memberGuid, sql`${grants.removedAt} desc`);
  for (const g of ended) {
    result.checked++;
    try {
      const r = await clearProtectedLeftovers(g.memberGuid, sids);
      if (r.outcome !== "cleared") continue;
      result.cleared++;
      await db.transaction((tx) =>
        recordAudit(tx, SYSTEM_ACTOR, [
          {
            action: "directory.protected_leftovers_cleared",
            targetType: "grant",
            targetId: g.id,
            data: { memberDn: r.memberDn, groupDn: g.groupDn, adminCountCleared: r.adminCountCleared, inheritanceRestored: r.inheritanceRestored },
          },
        ]),
      );
    } catch (err) {
      result.failed++;
      if (reported.has(g.id)) continue;
      reported.add(g.id);
      await db.transaction((tx) =>
        recordAudit(tx, SYSTEM_ACTOR, [
          {
            action: "directory.protected_cleanup_failed",
            targetType: "grant",
            targetId: g.id,
            data: { memberDn: g.memberDn, groupDn: g.groupDn, error: errorText(err) },
          },
        ]),
      );
    }
  }
  return result;
}
