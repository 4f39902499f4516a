import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { db, type Executor } from "@/db";
import { grants, requests } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { DirectoryError } from "@/server/directory/errors";
import { pamFeatureEnabled } from "@/server/directory/pam";
import { addMembers, removeMembers } from "@/server/directory/service";
import { deleteTemporaryGroup, deleteTemporaryGroupOf, provisionTemporaryGroup, type TemporaryGroup } from "@/server/directory/temporary-groups";
import { membershipFor, type GrantMechanism } from "@/server/directory/ttl";
import { env } from "@/server/env";
import { enqueue, jobKeys, notifyScheduleChanged } from "@/server/jobs/enqueue";
import { emitGrantEnds, emitNotification } from "@/server/notifications/emit";
import { rollBackSet } from "@/server/privilege-sets/rollback";
import { replicationStart, type ReplicationStart } from "./replication";

/** After this many failed activation attempts a grant is marked failed (the request too). */
export const MAX_ACTIVATION_ATTEMPTS = 8;
const WINDOW_CLOSED = "The access group's time window closed before access could be granted";

/** How long after a grant's expiry its safety-net job runs (the timer normally acts first). */
export const EXPIRY_JOB_GRACE_MS = 3_000;

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const lapsedLease = (column: typeof grants.claimedAt) => sql`${column} < now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS})`;

/**
 * Puts the grant's account into its group. Safe to run twice or after a crash: the claim only
 * takes a pending grant (or one whose provisioning lease lapsed) and fences every later write
 * with its token; "already a member" is success. Returns what happened, for the task's log.
 */
export async function activateGrant(grantId: string): Promise<"activated" | "nothing-to-do" | "failed" | "cancelled"> {
  const claimed = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(grants)
      .set({ state: "provisioning", attempts: sql`${grants.attempts} + 1`, claimedAt: sql`now()`, claimToken: sql`gen_random_uuid()`, updatedAt: sql`now()` })
      // A pending grant whose access-group window has closed (the worker or the DC was down until
      // then) is never started: access outside the window would break the policy.
      .where(
        and(
          eq(grants.id, grantId),
          // A scheduled grant does not start before its time, whoever runs the job.
          sql`((${grants.state} = 'pending' and (${grants.notAfter} is null or ${grants.notAfter} > now()) and (${grants.startsAt} is null or ${grants.startsAt} <= now())) or (${grants.state} = 'provisioning' and ${lapsedLease(grants.claimedAt)}))`,
        ),
      )
      .returning();
    if (!row) {
      const [late] = await tx
        .update(grants)
        .set({ state: "revoked", endReason: "expired", removedAt: sql`now()`, lastError: WINDOW_CLOSED, updatedAt: sql`now()` })
        .where(and(eq(grants.id, grantId), eq(grants.state, "pending"), sql`${grants.notAfter} <= now()`))
        .returning({ id: grants.id, requestId: grants.requestId });
      if (late) {
        await recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.cancelled", targetType: "grant", targetId: late.id, data: { reason: WINDOW_CLOSED } }]);
        await emitNotification(tx, "failed", [{ requestId: late.requestId, grantId: late.id, data: { error: WINDOW_CLOSED } }]);
      }
      return late ? ("window-closed" as const) : undefined;
    }
    await recordAudit(tx, SYSTEM_ACTOR, [
      { action: "grant.provisioning", targetType: "grant", targetId: row.id, data: { attempt: row.attempts, groupDn: row.groupDn, memberDn: row.memberDn } },
    ]);
    return row;
  });
  if (claimed === "window-closed") return "cancelled";
  if (!claimed) return "nothing-to-do";
  const fenced = and(eq(grants.id, grantId), eq(grants.state, "provisioning"), eq(grants.claimToken, claimed.claimToken!));

  let applied: AppliedMembership;
  let replication: ReplicationStart;
  try {
    // Read before the write, so that nothing can fail between the write and recording it.
    replication = await replicationStart();
    applied = await applyMembership(claimed);
  } catch (err) {
    const final = claimed.attempts >= MAX_ACTIVATION_ATTEMPTS;
    // An end requested meanwhile wins over a retry. The add may have reached the DC before the
    // error: the grant ends as revoked/failed, which reconcile treats as a source of orphans.
    const outcome = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(grants)
        .set({
          state: sql`case when ${grants.endReason} is not null then 'revoked'::grant_state when ${final} then 'failed'::grant_state else 'pending'::grant_state end`,
          removedAt: sql`case when ${grants.endReason} is not null or ${final} then now() end`,
          lastError: errorText(err),
          claimedAt: null,
          claimToken: null,
          updatedAt: sql`now()`,
        })
        .where(fenced)
        .returning({ state: grants.state, requestId: grants.requestId });
      if (!row) return "superseded" as const;
      if (row.state === "failed") {
        await tx.update(requests).set({ status: "failed" }).where(eq(requests.id, row.requestId));
        await emitNotification(tx, "failed", [{ requestId: row.requestId, grantId, data: { error: errorText(err) } }]);
      }
      await recordAudit(tx, SYSTEM_ACTOR, [
        { action: "grant.activation_failed", targetType: "grant", targetId: grantId, data: { attempt: claimed.attempts, error: errorText(err), final: row.state !== "pending" } },
      ]);
      // A privilege set is all or nothing: its other grants are taken back (no-op for a single privilege).
      if (row.state === "failed") await rollBackSet(tx, row.requestId, grantId, errorText(err));
      return row.state;
    });
    // A temporary group the failed attempt may have made (and nested) goes with the grant now,
    // not at the next orphan cleanup: nothing else would end the access it gives.
    if ((outcome === "failed" || outcome === "revoked") && claimed.mechanism === "temporary-group") await dropTemporaryGroup(grantId, outcome);
    if (outcome === "failed") return "failed";
    if (outcome === "revoked") return "cancelled";
    throw err;
  }

  const done = await db.transaction(async (tx) => {
    // The clock starts now, at the write: access is real on this DC from here on, so counting from
    // a later moment (replication done) would let it outlast what was granted. An end requested
    // while we were provisioning makes the grant due at once. With other DCs to wait for, the grant
    // is `replicating` until server/grants/replication.ts settles it (the sweep removes it on time
    // either way).
    const [row] = await tx
      .update(grants)
      .set({
        state: replication.waits ? "replicating" : "active",
        replication: replication.waits ? replication.record("add") : null,
        activatedAt: sql`now()`,
        // Never past the access group's window (not_after), even when activation came late.
        expiresAt: sql`case when ${grants.endReason} is null then least(now() + make_interval(secs => ${grants.durationSeconds}), coalesce(${grants.notAfter}, 'infinity')) else now() end`,
        // Only a first attempt can tell: after a crash or an error, "already a member" may be our own
        // earlier add, so a retry counts it as ours (and removes it at expiry).
        preExisting: applied.alreadyMember && claimed.attempts === 1,
        // What the directory was asked for: a TTL grant added without one (PAM off) says "direct".
        // The TTL was counted from before this update: AD's own removal falls at expires_at, give or
        // take the rounding up to a whole second and the clocks' skew; the sweep still verifies it.
        mechanism: applied.mechanism,
        tempGroupGuid: applied.tempGroup?.guid ?? null,
        tempGroupDn: applied.tempGroup?.dn ?? null,
        claimedAt: null,
        claimToken: null,
        lastError: null,
        updatedAt: sql`now()`,
      })
      .where(fenced)
      .returning();
    if (!row?.expiresAt) return false;
    // The worker's timer removes the grant at expires_at; this job is the safety net behind it,
    // due a little later so that it does not compete with the timer's bulk sweep.
    await enqueue(tx, "grants__expire", { grantId }, { runAt: new Date(row.expiresAt.getTime() + EXPIRY_JOB_GRACE_MS), jobKey: jobKeys.expire(grantId) });
    await notifyScheduleChanged(tx);
    await scheduleExpiryWarning(tx, row);
    // Replicating: the holder hears "granted" once every DC has it (checkReplication).
    // An end requested while provisioning (a revoke, a set's rollback) makes it due at once: no "granted".
    if (!replication.waits && !row.endReason) await emitNotification(tx, "granted", [{ requestId: row.requestId, grantId }]);
    await recordAudit(tx, SYSTEM_ACTOR, [
      {
        action: "grant.activated",
        targetType: "grant",
        targetId: grantId,
        data: {
          groupDn: row.groupDn,
          memberDn: row.memberDn,
          expiresAt: row.expiresAt.toISOString(),
          alreadyMember: applied.alreadyMember,
          mechanism: applied.mechanism,
          ttlSeconds: applied.ttlSeconds,
          ...(applied.tempGroup ? { temporaryGroupDn: applied.tempGroup.dn } : {}),
          replicating: replication.waits,
        },
      },
    ]);
    return true;
  });
  return done ? "activated" : "nothing-to-do";
}

/** Best effort: when the directory refuses this too, the orphan cleanup (every 2 minutes) retries. */
async function dropTemporaryGroup(grantId: string, grantState: "failed" | "revoked") {
  try {
    const { deleted, dn } = await deleteTemporaryGroupOf(grantId);
    if (!deleted) return;
    await db.transaction((tx) =>
      recordAudit(tx, SYSTEM_ACTOR, [
        { action: "directory.temporary_group_deleted", targetType: "group", targetId: dn, data: { groupDn: dn, grantId, grantState, createdAt: null } },
      ]),
    );
  } catch {
    // Left to cleanUpTemporaryGroups, which deletes groups of ended grants on its next run.
  }
}

interface AppliedMembership {
  /** What the directory was actually asked for, which the grant row then records. */
  mechanism: GrantMechanism;
  ttlSeconds: number | null;
  /** The account was a direct member already (direct and TTL only). */
  alreadyMember: boolean;
  tempGroup: TemporaryGroup | null;
}

/** Writes the grant's membership the way its mechanism says; idempotent, so a retry after a crash is safe. */
async function applyMembership(grant: typeof grants.$inferSelect): Promise<AppliedMembership> {
  if (grant.mechanism === "temporary-group") {
    const tempGroup = await provisionTemporaryGroup({
      grantId: grant.id,
      memberGuid: grant.memberGuid,
      targetGroupGuid: grant.groupGuid,
      description: `Interim grant ${grant.id}: ${grant.memberDn} in ${grant.groupDn}. Deleted when the grant ends.`,
    });
    // The account's own membership of the target (if any) is not ours: it is never touched.
    return { mechanism: "temporary-group", ttlSeconds: null, alreadyMember: false, tempGroup };
  }
  // Only a TTL grant needs to know whether the directory honours one (membershipFor explains the fallback).
  const pam = grant.mechanism === "ttl" ? await pamFeatureEnabled() : false;
  const membership = membershipFor(grant, { now: new Date(), pamFeatureEnabled: pam });
  const result = await addMembers(grant.groupGuid, [grant.memberGuid], membership.ttlSeconds === null ? {} : { ttlSeconds: membership.ttlSeconds });
  return { mechanism: membership.mechanism, ttlSeconds: membership.ttlSeconds, alreadyMember: result.alreadyDone.length > 0, tempGroup: null };
}

/**
 * Queues the "expiring soon" warning: EXPIRY_WARNING_MINUTES before the end, but never in the
 * first half of the grant (a 2-minute grant is warned after 1 minute). The job key makes an
 * extension move it.
 */
export async function scheduleExpiryWarning(tx: Executor, g: { id: string; activatedAt: Date | null; expiresAt: Date | null; endReason: string | null }) {
  if (!g.expiresAt || !g.activatedAt || g.endReason) return;
  const end = g.expiresAt.getTime();
  const half = g.activatedAt.getTime() + (end - g.activatedAt.getTime()) / 2;
  const runAt = new Date(Math.max(half, end - env.EXPIRY_WARNING_MINUTES * 60_000));
  await enqueue(tx, "grants__warn", { grantId: g.id }, { runAt, jobKey: jobKeys.warn(g.id), maxAttempts: 5 });
}

/**
 * The warning job: the grant still ends as planned, and nobody was warned for this end yet. Run
 * early (an extension moved the end, or the process that queued it counts another lead time),
 * it queues itself again for the right moment.
 */
export async function warnExpiring(grantId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [grant] = await tx.select().from(grants).where(eq(grants.id, grantId)).for("update");
    // The database's clock, the one expires_at and the job's run_at were set by.
    const [clock] = await tx.execute<{ now: Date | string }>(sql`select now() as now`);
    const now = new Date(clock!.now).getTime();
    if (!grant || (grant.state !== "active" && grant.state !== "replicating") || grant.endReason || !grant.expiresAt || grant.expiresAt.getTime() <= now) return false;
    if (grant.warnedFor?.getTime() === grant.expiresAt.getTime()) return false;
    if (grant.expiresAt.getTime() > now + env.EXPIRY_WARNING_MINUTES * 60_000 + 5_000) {
      await scheduleExpiryWarning(tx, grant);
      return false;
    }
    await tx.update(grants).set({ warnedFor: grant.expiresAt }).where(eq(grants.id, grantId));
    await emitNotification(tx, "expiring_soon", [{ requestId: grant.requestId, grantId }]);
    return true;
  });
}

export interface SweepResult {
  claimed: number;
  removed: number;
  failed: number;
  modifies: number;
}

type DueGrant = {
  id: string;
  group_guid: string;
  group_dn: string;
  member_guid: string;
  member_dn: string;
  expires_at: Date | string;
  end_reason: string | null;
  pre_existing: boolean;
  temp_group_guid: string | null;
};

/** Due grants under one lease: one claim token fences every later write to them. */
interface Claim {
  token: string;
  rows: DueGrant[];
  /** When the lease was taken or last renewed (Date.now()). */
  leasedAt: number;
}

/** Outcomes not yet committed before the directory lane waits for them (bounds memory and lag). */
const MAX_PENDING_OUTCOMES = 4;

/**
 * Removes every due membership in bulk. Due grants are claimed in chunks (up to `limit`) with SKIP
 * LOCKED (so several workers share the work) as a fenced lease: if this process dies mid-way, a
 * later sweep retakes them once the lease lapses. The directory gets one modify per group and
 * batch, one at a time: a DC applies the changes to a group one after another (Samba measured here:
 * parallel modifies on one or four connections were no faster, and many only queue into
 * timeouts). The database work overlaps it: each batch's outcome commits while the next modify
 * runs, and the next chunk is claimed while this one is written, so the DC seldom waits for us.
 */
export async function sweepExpired(limit = env.EXPIRY_BATCH_SIZE): Promise<SweepResult> {
  const result: SweepResult = { claimed: 0, removed: 0, failed: 0, modifies: 0 };
  const outcomes = outcomeQueue();
  // Once the directory cannot be reached at all, the other batches would only wait for their own
  // timeouts one after another: they are recorded as failed with the same error, and no more claimed.
  let unreachable: Error | undefined;
  let claimError: unknown;
  // The first chunk is one modify's worth, so the DC starts at once; each next one doubles, up to
  // `limit`, and is claimed while the DC works through the one before (a 5,000-row claim takes
  // 0.2–0.35 s here).
  let size = Math.min(limit, env.LDAP_MODIFY_BATCH_SIZE);
  let claim = await claimDue(size);
  if (claim.rows.length === 0) return result;
  // Whether removals must then be followed on the other DCs: one settings read per sweep.
  const replication = await replicationStart();
  while (claim.rows.length > 0) {
    result.claimed += claim.rows.length;
    const { token } = claim; // the outcomes below commit after `claim` has moved on to the next chunk
    const more = claim.rows.length === size && !unreachable;
    size = Math.min(limit, size * 2);
    const next = more ? claimDue(size) : null;
    next?.catch(() => {}); // awaited below; a failure must not count as unhandled meanwhile
    const batches = removalBatches(claim.rows);
    for (const [i, batch] of batches.entries()) {
      await renewLease(claim, () => batches.slice(i).flatMap((b) => b.members));
      const outcome = unreachable ?? (await removeBatch(batch));
      if (outcome instanceof Error) {
        if (outcome instanceof DirectoryError && (outcome.kind === "unreachable" || outcome.kind === "invalid-credentials")) unreachable = outcome;
        result.failed += batch.members.length;
        outcomes.push(() => recordRemovalFailure(batch.members, token, outcome));
      } else {
        result.modifies += outcome.modifies;
        // Temporary groups are deleted one by one: those that failed keep their lease and say why.
        for (const f of outcome.failed) {
          result.failed++;
          outcomes.push(() => recordRemovalFailure([f.member], token, f.error));
        }
        const failedIds = new Set(outcome.failed.map((f) => f.member.id));
        const done = failedIds.size ? batch.members.filter((m) => !failedIds.has(m.id)) : batch.members;
        if (done.length) {
          outcomes.push(async () => {
            const removed = await finishRemoval(done, token, new Set(outcome.alreadyDone), replication);
            result.removed += removed;
          });
        }
      }
      await outcomes.backlogBelow(MAX_PENDING_OUTCOMES);
    }
    // A claim that failed (the database) ends this sweep, but only after what was removed is recorded.
    claim = next ? await next.catch((err: unknown) => ((claimError = err), { token, rows: [], leasedAt: 0 })) : { token, rows: [], leasedAt: 0 };
  }
  await outcomes.drain();
  if (claimError) throw claimError;
  return result;
}

/**
 * Claims up to `limit` due grants (expired, or removal lease lapsed), earliest second first; the
 * grants due within one second come group by group, so that a chunk makes few, full modifies.
 */
async function claimDue(limit: number): Promise<Claim> {
  const token = randomUUID();
  const rows = await db.execute<DueGrant>(sql`
    with due as (
      select id from grants
      -- A grant still replicating is in the directory all the same: due is due. (Its own arm: the
      -- active one stays a range scan of grants_due, whose predicate cannot name the newer state.)
      where (state = 'active' and expires_at <= now())
         or (state = 'replicating' and expires_at <= now())
         or (state = 'expiring' and claimed_at < now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS}))
      order by date_trunc('second', expires_at), group_guid
      limit ${limit}
      for update skip locked
    )
    update grants g set state = 'expiring', claimed_at = now(), claim_token = ${token}, updated_at = now()
    from due where g.id = due.id
    returning g.id, g.group_guid, g.group_dn, g.member_guid, g.member_dn, g.expires_at, g.end_reason, g.pre_existing, g.temp_group_guid`);
  return { token, rows: [...rows], leasedAt: Date.now() };
}

/**
 * Renews the lease on the claimed grants not yet worked on: with a slow DC, a chunk claimed ahead
 * (or the tail of a big one) would otherwise lapse, and other sweeps would start on the same groups.
 */
async function renewLease(claim: Claim, remaining: () => DueGrant[]) {
  if (Date.now() - claim.leasedAt < (env.GRANT_LEASE_SECONDS * 1000) / 2) return;
  claim.leasedAt = Date.now();
  const ids = remaining().map((m) => m.id);
  if (ids.length === 0) return;
  await db.execute(sql`update grants set claimed_at = now() where id = any(${uuidArray(ids)}) and claim_token = ${claim.token} and state = 'expiring'`);
}

interface RemovalBatch {
  groupGuid: string;
  members: DueGrant[];
  /** Temporary-group grants: their groups are deleted rather than a member removed. */
  temporary: boolean;
}

const TEMP_GROUP_DELETES_IN_FLIGHT = 16;

/**
 * The claimed grants by group, at most one modify's worth of members per batch; temporary-group
 * grants in batches of deletions run side by side.
 */
function removalBatches(rows: DueGrant[], size = env.LDAP_MODIFY_BATCH_SIZE): RemovalBatch[] {
  const byGroup = new Map<string, DueGrant[]>();
  const temporary: DueGrant[] = [];
  for (const r of rows) {
    if (r.temp_group_guid) {
      temporary.push(r);
      continue;
    }
    const members = byGroup.get(r.group_guid) ?? [];
    members.push(r);
    byGroup.set(r.group_guid, members);
  }
  const batches: RemovalBatch[] = [];
  for (const [groupGuid, members] of byGroup) {
    for (let i = 0; i < members.length; i += size) batches.push({ groupGuid, members: members.slice(i, i + size), temporary: false });
  }
  for (let i = 0; i < temporary.length; i += TEMP_GROUP_DELETES_IN_FLIGHT) {
    const members = temporary.slice(i, i + TEMP_GROUP_DELETES_IN_FLIGHT);
    batches.push({ groupGuid: members[0]!.group_guid, members, temporary: true });
  }
  return batches;
}

interface BatchOutcome {
  modifies: number;
  /** Lower-case member GUIDs whose membership (or temporary group) was already gone. */
  alreadyDone: string[];
  /** Temporary groups whose deletion failed (the rest of the batch is done). */
  failed: { member: DueGrant; error: Error }[];
}

const asError = (err: unknown) => (err instanceof Error ? err : new Error(errorText(err)));

/** The directory part of a batch; an error is returned (the batch is recorded as failed), not thrown. */
async function removeBatch(batch: RemovalBatch): Promise<BatchOutcome | Error> {
  if (batch.temporary) return deleteTemporaryGroups(batch.members);
  // A membership that existed before the grant is not ours to take away.
  const toRemove = batch.members.filter((m) => !m.pre_existing).map((m) => m.member_guid);
  if (toRemove.length === 0) return { modifies: 0, alreadyDone: [], failed: [] };
  return removeMembers(batch.groupGuid, toRemove).then(
    (r) => ({ modifies: r.modifies, alreadyDone: r.alreadyDone, failed: [] }),
    (err: unknown) => asError(err),
  );
}

/** Temporary-group grants end by deleting their group, which takes the account's access with it. */
async function deleteTemporaryGroups(members: DueGrant[]): Promise<BatchOutcome | Error> {
  const settled = await Promise.allSettled(members.map((m) => deleteTemporaryGroup(m.temp_group_guid!)));
  const outcome: BatchOutcome = { modifies: 0, alreadyDone: [], failed: [] };
  settled.forEach((r, i) => {
    const member = members[i]!;
    if (r.status === "rejected") outcome.failed.push({ member, error: asError(r.reason) });
    else {
      outcome.modifies++;
      if (!r.value) outcome.alreadyDone.push(member.member_guid.toLowerCase());
    }
  });
  // Nothing went through: the batch failed as one (the sweep stops claiming when the DC is unreachable).
  return outcome.failed.length === members.length ? outcome.failed[0]!.error : outcome;
}

/**
 * Commits outcomes one after another, behind the directory lane (they serialize on the audit
 * lock anyway). A failed commit leaves its grants under their lease, so a later sweep retakes them;
 * the first such error is rethrown once everything else has committed.
 */
function outcomeQueue() {
  let tail: Promise<void> = Promise.resolve();
  const pending: Promise<void>[] = [];
  let failure: unknown;
  return {
    push(step: () => Promise<void>) {
      tail = tail.then(step).catch((err: unknown) => {
        failure ??= err;
      });
      pending.push(tail);
    },
    async backlogBelow(n: number) {
      if (pending.length > n) await pending[pending.length - 1 - n];
    },
    async drain() {
      await tail;
      if (failure) throw failure;
    },
  };
}

const uuidArray = (ids: string[]) => sql`string_to_array(${ids.join(",")}, ',')::uuid[]`;

/** Keeps the lease (the sweep retakes these once it lapses: the directory may be down) and says why. */
async function recordRemovalFailure(members: DueGrant[], claimToken: string, err: Error) {
  await db.transaction(async (tx) => {
    const failed = await tx
      .update(grants)
      .set({ lastError: errorText(err), attempts: sql`${grants.attempts} + 1` })
      .where(and(sql`${grants.id} = any(${uuidArray(members.map((m) => m.id))})`, eq(grants.claimToken, claimToken)))
      .returning({ id: grants.id });
    await recordAudit(
      tx,
      SYSTEM_ACTOR,
      failed.map((m) => ({ action: "grant.removal_failed" as const, targetType: "grant" as const, targetId: m.id, data: { groupDn: members[0]!.group_dn, error: errorText(err) } })),
    );
  });
}

async function finishRemoval(members: DueGrant[], claimToken: string, alreadyAbsent: Set<string>, replication: ReplicationStart): Promise<number> {
  // The checks of the other DCs come later, in bulk (checkReplication): here only the record they start from.
  const followed = replication.waits ? JSON.stringify(replication.record("remove")) : null;
  return db.transaction(async (tx) => {
    const done = await tx
      .update(grants)
      .set({
        state: sql`case when ${grants.endReason} in ('revoked', 'ended_early') then 'revoked'::grant_state else 'expired'::grant_state end`,
        endReason: sql`coalesce(${grants.endReason}, 'expired')`,
        removedAt: sql`now()`,
        // A kept pre-existing membership is nothing to follow; nor is anything in a single-DC domain.
        removalVerifiedAt: followed ? sql`case when ${grants.preExisting} then now() end` : sql`now()`,
        replication: followed ? sql`case when ${grants.preExisting} then null else ${followed}::jsonb end` : null,
        claimedAt: null,
        claimToken: null,
        lastError: null,
        updatedAt: sql`now()`,
      })
      .where(and(sql`${grants.id} = any(${uuidArray(members.map((m) => m.id))})`, eq(grants.state, "expiring"), eq(grants.claimToken, claimToken)))
      .returning({ id: grants.id, removedAt: grants.removedAt });
    // The per-grant expiry jobs are only a safety net now, and warnings are moot: drop the ones
    // that have not started (a running one finds the grant ended). One statement for the batch:
    // remove_job once per key took 20–70 ms per 500 grants.
    const doneIds = done.map((d) => d.id);
    if (doneIds.length) {
      const keys = doneIds.flatMap((id) => [jobKeys.expire(id), jobKeys.warn(id)]);
      await tx.execute(sql`select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs where key = any(string_to_array(${keys.join(",")}, ','))))`);
      await emitGrantEnds(tx, doneIds);
    }
    const removedAt = new Map(done.map((d) => [d.id, d.removedAt]));
    const events: AuditEvent[] = [];
    for (const m of members) {
      const at = removedAt.get(m.id);
      if (!at) continue;
      const expiresAt = new Date(m.expires_at);
      events.push({
        action: "grant.removed",
        targetType: "grant",
        targetId: m.id,
        data: {
          groupDn: m.group_dn,
          memberDn: m.member_dn,
          reason: (m.end_reason ?? "expired") as "expired" | "revoked" | "ended_early",
          expiresAt: expiresAt.toISOString(),
          lagMs: Math.max(0, at.getTime() - expiresAt.getTime()),
          alreadyAbsent: alreadyAbsent.has(m.member_guid.toLowerCase()),
          keptPreExisting: m.pre_existing,
        },
      });
    }
    // Last: the audit lock is held from here to the commit.
    await recordAudit(tx, SYSTEM_ACTOR, events);
    return done.length;
  });
}

/** The next moment a sweep has work: the earliest expiry, or a lapsed removal lease. */
export async function nextDueAt(): Promise<Date | null> {
  const lease = env.GRANT_LEASE_SECONDS;
  const [row] = await db.execute<{ next: Date | string | null }>(sql`
    select least(
      (select min(expires_at) from grants where state = 'active'),
      (select min(expires_at) from grants where state = 'replicating'),
      (select min(claimed_at) + make_interval(secs => ${lease}) from grants where state = 'expiring')
    ) as next`);
  return row?.next ? new Date(row.next) : null;
}

/**
 * Re-queues activations nobody is working on: the grant waits (pending, or provisioning with a
 * lapsed lease) and no runnable job exists for it — e.g. its job is still locked by a worker that
 * was killed (graphile-worker frees such locks only after hours). Cheap; the worker runs it often.
 */
export async function requeueStuckActivations(): Promise<number> {
  const lease = env.GRANT_LEASE_SECONDS;
  const stuck = await db.execute<{ id: string }>(sql`
    select g.id from grants g
    where ((g.state = 'pending' and g.updated_at < now() - make_interval(secs => ${lease}) and (g.starts_at is null or g.starts_at <= now()))
        or (g.state = 'provisioning' and g.claimed_at < now() - make_interval(secs => ${lease})))
      -- A job waiting to run, or one a live worker picked up recently, is not stuck.
      and not exists (
        select 1 from graphile_worker.jobs j
        where j.key = 'grant:activate:' || g.id::text
          and (j.locked_at is null or j.locked_at > now() - make_interval(secs => ${lease}))
      )
    limit 1000`);
  if (stuck.length === 0) return 0;
  await db.transaction(async (tx) => {
    // Replacing a key whose job is locked creates a fresh job, which is what we want here.
    for (const g of stuck) await enqueue(tx, "grants__activate", { grantId: g.id }, { jobKey: jobKeys.activate(g.id) });
  });
  return stuck.length;
}
