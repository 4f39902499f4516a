import { and, eq, gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, privileges } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { addMembers, listGroupMembers, removeMembers } from "@/server/directory/service";
import { env } from "@/server/env";
import { errorText, requeueStuckActivations } from "./lifecycle";

export interface ReconcileResult {
  requeued: number;
  orphansRemoved: number;
  reapplied: number;
  groupsChecked: number;
  errors: { groupDn: string; error: string }[];
}

const LIVE = new Set(["pending", "provisioning", "active", "expiring"]);
const ENDED = new Set(["expired", "revoked", "failed"]);

/**
 * Compares the directory with the grants, so a lost job or a crash can never leave access behind:
 * re-queues stuck activations, removes memberships that outlived their grant, and re-adds
 * memberships that an active grant says should exist. One broken group does not stop the others.
 */
export async function reconcile(): Promise<ReconcileResult> {
  const result: ReconcileResult = { requeued: await requeueStuckActivations(), orphansRemoved: 0, reapplied: 0, groupsChecked: 0, errors: [] };
  const managed = await db.selectDistinct({ groupGuid: privileges.groupGuid, groupDn: privileges.groupDn }).from(privileges);
  for (const group of managed) {
    try {
      await reconcileGroup(group, result);
      result.groupsChecked++;
    } catch (err) {
      result.errors.push({ groupDn: group.groupDn, error: errorText(err) });
    }
  }
  return result;
}

async function reconcileGroup(group: { groupGuid: string; groupDn: string }, result: ReconcileResult) {
  const members = new Map((await listGroupMembers({ guid: group.groupGuid })).map((m) => [m.guid, m]));
  // Read grants after the directory: a grant that starts provisioning later cannot be mistaken for an orphan's.
  const rows = await db
    .select({ id: grants.id, memberGuid: grants.memberGuid, memberDn: grants.memberDn, state: grants.state, preExisting: grants.preExisting })
    .from(grants)
    // A grant scheduled for later explains nothing in the directory today: a membership it finds is an orphan's.
    .where(and(eq(grants.groupGuid, group.groupGuid), sql`not (${grants.state} = 'pending' and ${grants.startsAt} > now())`))
    .orderBy(grants.createdAt);
  const live = new Set<string>();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) {
    const guid = r.memberGuid.toLowerCase();
    if (LIVE.has(r.state)) live.add(guid);
    latest.set(guid, r);
  }
  // A member whose last grant ended (and who was not a member before it) has outlived the grant.
  const orphans = [...latest.values()].filter((r) => {
    const guid = r.memberGuid.toLowerCase();
    return members.has(guid) && !live.has(guid) && ENDED.has(r.state) && !r.preExisting;
  });
  if (orphans.length) {
    await removeMembers(group.groupGuid, orphans.map((o) => o.memberGuid));
    await db.transaction((tx) =>
      recordAudit(
        tx,
        SYSTEM_ACTOR,
        orphans.map((o) => ({
          action: "directory.orphan_removed" as const,
          targetType: "group" as const,
          targetId: group.groupDn,
          data: { groupDn: group.groupDn, memberDn: members.get(o.memberGuid.toLowerCase())?.dn ?? o.memberDn, lastGrantId: o.id },
        })),
      ),
    );
    result.orphansRemoved += orphans.length;
    // A grant for one of them may have started while we removed: put those back at once.
    const raced = await db
      .select({ memberGuid: grants.memberGuid })
      .from(grants)
      .where(and(eq(grants.groupGuid, group.groupGuid), sql`${grants.state} in ('provisioning', 'active')`, sql`lower(${grants.memberGuid}) in ${orphans.map((o) => o.memberGuid.toLowerCase())}`));
    if (raced.length) await addMembers(group.groupGuid, raced.map((r) => r.memberGuid));
  }

  // Active grants whose membership is missing (removed by hand, restored backup, …).
  const missing = rows.filter((r) => r.state === "active" && !members.has(r.memberGuid.toLowerCase()));
  for (const m of missing) {
    await db.transaction(async (tx) => {
      // Lock the grant so an expiry sweep cannot end it while we re-add; near its end, leave it to the sweep.
      const [still] = await tx
        .select({ id: grants.id })
        .from(grants)
        .where(and(eq(grants.id, m.id), eq(grants.state, "active"), gt(grants.expiresAt, sql`now() + make_interval(secs => ${env.GRANT_LEASE_SECONDS})`)))
        .for("update");
      if (!still) return;
      await addMembers(group.groupGuid, [m.memberGuid]);
      await recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.reapplied", targetType: "grant", targetId: m.id, data: { groupDn: group.groupDn, memberDn: m.memberDn } }]);
      result.reapplied++;
    });
  }
}
