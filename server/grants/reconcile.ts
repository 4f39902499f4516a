import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, privilegeDriftSettings, privileges } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { addMembers, listGroupMembers } from "@/server/directory/service";
import { classifyMembers, type DriftAction } from "@/server/drift/policy";
import { databaseNow, recordCheck, settleDrift, type ManagedGroup } from "@/server/drift/record";
import { env } from "@/server/env";
import { errorText, requeueStuckActivations } from "./lifecycle";

export interface ReconcileResult {
  requeued: number;
  orphansRemoved: number;
  /** Standing access taken out where the privilege's drift action says "remove". */
  standingRemoved: number;
  /** New drift findings (each audited as directory.drift_found). */
  driftFound: number;
  reapplied: number;
  groupsChecked: number;
  errors: { groupDn: string; error: string }[];
}

/**
 * Compares the directory with the grants, so a lost job or a crash can never leave access behind:
 * re-queues stuck activations, records drift (members no grant explains, see server/drift),
 * removes memberships that outlived their grant and standing access where the admin chose so,
 * and re-adds memberships that an active grant says should exist. One broken group does not stop
 * the others. Only the groups of published privileges are ever read or changed.
 */
export async function reconcile(): Promise<ReconcileResult> {
  const result: ReconcileResult = { requeued: await requeueStuckActivations(), orphansRemoved: 0, standingRemoved: 0, driftFound: 0, reapplied: 0, groupsChecked: 0, errors: [] };
  const managed = await db
    .select({ privilegeId: privileges.id, groupGuid: privileges.groupGuid, groupDn: privileges.groupDn, action: sql<DriftAction>`coalesce(${privilegeDriftSettings.action}, 'alert')` })
    .from(privileges)
    .leftJoin(privilegeDriftSettings, eq(privilegeDriftSettings.privilegeId, privileges.id));
  for (const group of managed) {
    try {
      await reconcileGroup(group, result);
      result.groupsChecked++;
    } catch (err) {
      result.errors.push({ groupDn: group.groupDn, error: errorText(err) });
    }
  }
  await recordCheck(result.groupsChecked, result.errors);
  return result;
}

async function reconcileGroup(group: ManagedGroup, result: ReconcileResult) {
  const listedAt = await databaseNow();
  const members = await listGroupMembers({ guid: group.groupGuid });
  // Read grants after the directory: a grant that starts provisioning later cannot be mistaken for an orphan's.
  const rows = await db
    .select({ id: grants.id, memberGuid: grants.memberGuid, memberDn: grants.memberDn, state: grants.state, preExisting: grants.preExisting, attempts: grants.attempts })
    .from(grants)
    // A grant scheduled for later explains nothing in the directory today: a membership it finds is an orphan's.
    .where(and(eq(grants.groupGuid, group.groupGuid), sql`not (${grants.state} = 'pending' and ${grants.startsAt} > now())`))
    .orderBy(grants.createdAt);
  const present = new Set(members.map((m) => m.guid));
  const { unexplained } = classifyMembers(members, rows);
  const drift = await settleDrift(group, present, unexplained, listedAt);
  result.driftFound += drift.found;
  result.orphansRemoved += drift.outlivedRemoved;
  result.standingRemoved += drift.standingRemoved;
  if (drift.removedGuids.length) {
    // A grant for one of them may have started while we removed: put those back at once.
    const raced = await db
      .select({ memberGuid: grants.memberGuid })
      .from(grants)
      .where(and(eq(grants.groupGuid, group.groupGuid), sql`${grants.state} in ('provisioning', 'replicating', 'active')`, sql`lower(${grants.memberGuid}) in ${drift.removedGuids}`));
    if (raced.length) await addMembers(group.groupGuid, raced.map((r) => r.memberGuid));
  }

  // Grants in the directory whose membership is missing (removed by hand, restored backup, …).
  const missing = rows.filter((r) => (r.state === "active" || r.state === "replicating") && !present.has(r.memberGuid.toLowerCase()));
  for (const m of missing) {
    await db.transaction(async (tx) => {
      // Lock the grant so an expiry sweep cannot end it while we re-add; near its end, leave it to the sweep.
      const [still] = await tx
        .select({ id: grants.id })
        .from(grants)
        .where(and(eq(grants.id, m.id), inArray(grants.state, ["active", "replicating"]), gt(grants.expiresAt, sql`now() + make_interval(secs => ${env.GRANT_LEASE_SECONDS})`)))
        .for("update");
      if (!still) return;
      await addMembers(group.groupGuid, [m.memberGuid]);
      await recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.reapplied", targetType: "grant", targetId: m.id, data: { groupDn: group.groupDn, memberDn: m.memberDn } }]);
      result.reapplied++;
    });
  }
}
