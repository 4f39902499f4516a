import "server-only";
import { createHash } from "node:crypto";
import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, privilegeDriftSettings, privileges } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { addMembers, listGroupMembers } from "@/server/directory/service";
import { isTemporaryGroupDn } from "@/server/directory/temporary-groups";
import { withSessionLock } from "@/server/jobs/locks";
import { classifyMembers, type DriftAction } from "@/server/drift/policy";
import { databaseNow, recordCheck, settleDrift, type ManagedGroup } from "@/server/drift/record";
import { reconcileTemporaryGroups } from "@/server/drift/temporary-groups";
import { env } from "@/server/env";
import { errorText } from "./error-text";
import { restoreForLiveGrants } from "./restore";
import { stateSql } from "./state-sql";
import { IN_DIRECTORY_STATES, isInDirectory } from "./states";
import { requeueStuckActivations } from "./watchdog";

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
  const result: ReconcileResult = {
    requeued: await requeueStuckActivations(),
    orphansRemoved: 0,
    standingRemoved: 0,
    driftFound: 0,
    reapplied: 0,
    groupsChecked: 0,
    errors: [],
  };
  for (const group of await managedGroups()) {
    try {
      await reconcileGroupLocked(group, result);
      result.groupsChecked++;
    } catch (err) {
      result.errors.push({ groupDn: group.groupDn, error: errorText(err) });
    }
  }
  await reconcileTemporaryGroups(result);
  await recordCheck(result.groupsChecked, result.errors);
  return result;
}

const managedGroups = (groupGuids?: readonly string[]) =>
  db
    .select({
      privilegeId: privileges.id,
      groupGuid: privileges.groupGuid,
      groupDn: privileges.groupDn,
      action: sql<DriftAction>`coalesce(${privilegeDriftSettings.action}, 'alert')`,
    })
    .from(privileges)
    .leftJoin(privilegeDriftSettings, eq(privilegeDriftSettings.privilegeId, privileges.id))
    .where(groupGuids ? inArray(sql`lower(${privileges.groupGuid})`, [...groupGuids]) : undefined);

/**
 * The same comparison for a few managed groups only (the drift watcher's, server/drift/watch.ts,
 * when the directory says they changed). Throws on the first group it cannot check: the caller
 * asks again; the minute's full reconcile stays the fallback.
 */
export async function reconcileGroups(groupGuids: readonly string[]): Promise<ReconcileResult> {
  const result: ReconcileResult = { requeued: 0, orphansRemoved: 0, standingRemoved: 0, driftFound: 0, reapplied: 0, groupsChecked: 0, errors: [] };
  if (groupGuids.length === 0) return result;
  for (const group of await managedGroups(groupGuids.map((g) => g.toLowerCase()))) {
    await reconcileGroupLocked(group, result);
    result.groupsChecked++;
  }
  return result;
}

/** Session advisory-lock keys of single groups: above 2^32, clear of the singleton jobs' keys. */
const GROUP_LOCK_BASE = 0x1a7e * 2 ** 32;

/** One check of a group at a time (the cron's and the watcher's), or two could re-add the same membership. */
async function reconcileGroupLocked(group: ManagedGroup, result: ReconcileResult) {
  const key = GROUP_LOCK_BASE + createHash("sha256").update(group.groupGuid.toLowerCase()).digest().readUInt32BE(0);
  const run = await withSessionLock(key, () => reconcileGroup(group, result), { waitMs: env.LDAP_TIMEOUT_MS * 3, pollMs: 50 });
  if (!run.ran) throw new Error(`${group.groupDn} is being checked by another run`);
}

async function reconcileGroup(group: ManagedGroup, result: ReconcileResult) {
  const listedAt = await databaseNow();
  const members = await listGroupMembers({ guid: group.groupGuid });
  // Read grants after the directory: a grant that starts provisioning later cannot be mistaken for an orphan's.
  const rows = await db
    .select({
      id: grants.id,
      memberGuid: grants.memberGuid,
      memberDn: grants.memberDn,
      state: grants.state,
      preExisting: grants.preExisting,
      attempts: grants.attempts,
      mechanism: grants.mechanism,
      tempGroupGuid: grants.tempGroupGuid,
    })
    .from(grants)
    // A grant scheduled for later explains nothing in the directory today: a membership it finds is an orphan's.
    .where(and(eq(grants.groupGuid, group.groupGuid), sql`not (${grants.state} = ${stateSql("pending")} and ${grants.startsAt} > now())`))
    .orderBy(grants.createdAt);
  const present = new Set(members.map((m) => m.guid));
  // Our temporary groups are the orphan cleanup's (server/grants/temporary-groups.ts): a live grant
  // owns each one, or the cleanup deletes it. Drift is about everything else, which the account-level
  // grants explain.
  const { unexplained } = classifyMembers(
    members.filter((m) => !isTemporaryGroupDn(m.dn)),
    rows.filter((r) => r.mechanism !== "temporary-group"),
  );
  const drift = await settleDrift(group, present, unexplained, listedAt);
  result.driftFound += drift.found;
  result.orphansRemoved += drift.outlivedRemoved;
  result.standingRemoved += drift.standingRemoved;
  // A grant for one of them may have started while we removed: put those back at once.
  await restoreForLiveGrants(group.groupGuid, group.groupDn, drift.removedGuids);

  // Grants in the directory (active or replicating) whose membership is missing (removed by hand,
  // restored backup, …): for a temporary-group grant, the nesting of its group.
  const missing = rows
    .map((r) => ({ ...r, linkGuid: r.mechanism === "temporary-group" ? r.tempGroupGuid : r.memberGuid }))
    .filter((r): r is typeof r & { linkGuid: string } => isInDirectory(r.state) && r.linkGuid !== null && !present.has(r.linkGuid.toLowerCase()));
  for (const m of missing) {
    await db.transaction(async (tx) => {
      // Lock the grant so an expiry sweep cannot end it while we re-add; near its end, leave it to the sweep.
      const [still] = await tx
        .select({ id: grants.id, secondsLeft: sql<number>`ceil(extract(epoch from ${grants.expiresAt} - now()))::int` })
        .from(grants)
        .where(
          and(
            eq(grants.id, m.id),
            inArray(grants.state, [...IN_DIRECTORY_STATES]),
            gt(grants.expiresAt, sql`now() + make_interval(secs => ${env.GRANT_LEASE_SECONDS})`),
          ),
        )
        .for("update");
      if (!still) return;
      // A TTL grant (recorded as such only when the directory took the TTL) gets the time it has left.
      await addMembers(group.groupGuid, [m.linkGuid], m.mechanism === "ttl" ? { ttlSeconds: Math.max(1, still.secondsLeft) } : {});
      // Whatever membership the grant found at its start is gone: the one it has now is its own.
      if (m.preExisting) await tx.update(grants).set({ preExisting: false }).where(eq(grants.id, m.id));
      await recordAudit(tx, SYSTEM_ACTOR, [
        { action: "grant.reapplied", targetType: "grant", targetId: m.id, data: { groupDn: group.groupDn, memberDn: m.memberDn } },
      ]);
      result.reapplied++;
    });
  }
}
