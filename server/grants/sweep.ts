import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { DirectoryError } from "@/server/directory/errors";
import { isDirectoryUnreachable, noteDirectoryUnreachable } from "@/server/directory/outages";
import { deleteTemporaryGroup } from "@/server/directory/temporary-groups";
import { removeMembers } from "@/server/directory/service";
import { env } from "@/server/env";
import { metrics, observeRemovals } from "@/server/ops/metrics";
import { jobKeys } from "@/server/jobs/enqueue";
import { completeJobsByKey } from "@/server/jobs/queue";
import { asError, errorText } from "./error-text";
import { dropLease, holdLease } from "./leases";
import { replicationStart, type ReplicationStart } from "./replication";
import { stateCase, stateSql } from "./state-sql";
import { assertTransition, DUE_STATES, REMOVING_STATE } from "./states";
import { recordTransition } from "./transition";

/*
 * The expiry sweep: due grants (active or replicating past their end, or a removal lease that
 * lapsed) → expiring (claimed under a lease) → the directory removal → expired | revoked.
 */

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
  if (claim.rows.length === 0) {
    dropLease(claim.token);
    return result;
  }
  // Held by this process until recorded: a worker stopping on SIGTERM hands them back (./leases.ts).
  const tokens = [claim.token];
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
    tokens.push(claim.token);
  }
  await outcomes.drain();
  for (const t of tokens) dropLease(t);
  if (claimError) throw claimError;
  return result;
}

/**
 * Claims up to `limit` due grants (expired, or removal lease lapsed), earliest second first; the
 * grants due within one second come group by group, so that a chunk makes few, full modifies.
 */
async function claimDue(limit: number): Promise<Claim> {
  assertTransition([...DUE_STATES, REMOVING_STATE], REMOVING_STATE);
  const token = holdLease(randomUUID());
  // A grant still replicating is in the directory all the same: due is due. (Each due state has its
  // own arm: the active one stays a range scan of grants_due, whose predicate cannot name the newer state.)
  const due = sql.join(
    DUE_STATES.map((s) => sql`(state = ${stateSql(s)} and expires_at <= now())`),
    sql` or `,
  );
  const rows = await db.execute<DueGrant>(sql`
    with due as (
      select id from grants
      where ${due}
         or (state = ${stateSql(REMOVING_STATE)} and claimed_at < now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS}))
      order by date_trunc('second', expires_at), group_guid
      limit ${limit}
      for update skip locked
    )
    update grants g set state = ${stateSql(REMOVING_STATE)}, claimed_at = now(), claim_token = ${token}, updated_at = now()
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
  await db.execute(
    sql`update grants set claimed_at = now() where id = any(${uuidArray(ids)}) and claim_token = ${claim.token} and state = ${stateSql(REMOVING_STATE)}`,
  );
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

/**
 * Keeps the lease (the sweep retakes these once it lapses) and says why, with a `removal_failed`
 * event per grant. When the directory did not answer at all, the outage is recorded once instead
 * (server/directory/outages.ts: one event however many grants and retries it holds up) and the
 * lease is let go at once: the worker's probe wakes the timer the moment the DC answers again,
 * and the grants must be due right then, not a lease later.
 */
async function recordRemovalFailure(members: DueGrant[], claimToken: string, err: Error) {
  metrics().grantRemovals.inc({ outcome: "failed", reason: "none" }, members.length);
  const outage = isDirectoryUnreachable(err);
  if (outage) await noteDirectoryUnreachable(err, members.length);
  await db.transaction(async (tx) => {
    const failed = await tx
      .update(grants)
      .set({
        lastError: errorText(err),
        attempts: sql`${grants.attempts} + 1`,
        ...(outage ? { claimedAt: sql`now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS + 1})` } : {}),
      })
      .where(and(sql`${grants.id} = any(${uuidArray(members.map((m) => m.id))})`, eq(grants.claimToken, claimToken)))
      .returning({ id: grants.id });
    if (outage) return;
    await recordAudit(
      tx,
      SYSTEM_ACTOR,
      failed.map((m) => ({
        action: "grant.removal_failed" as const,
        targetType: "grant" as const,
        targetId: m.id,
        data: { groupDn: members[0]!.group_dn, error: errorText(err) },
      })),
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
        state: stateCase([REMOVING_STATE], [[sql`${grants.endReason} in ('revoked', 'ended_early')`, "revoked"]], "expired"),
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
      .where(and(sql`${grants.id} = any(${uuidArray(members.map((m) => m.id))})`, eq(grants.state, REMOVING_STATE), eq(grants.claimToken, claimToken)))
      .returning({ id: grants.id, removedAt: grants.removedAt });
    // The per-grant expiry jobs are only a safety net now, and warnings are moot: drop the ones
    // that have not started (a running one finds the grant ended). One statement for the batch:
    // remove_job once per key took 20–70 ms per 500 grants.
    const doneIds = done.map((d) => d.id);
    if (doneIds.length) {
      const keys = doneIds.flatMap((id) => [jobKeys.expire(id), jobKeys.warn(id)]);
      await completeJobsByKey(tx, keys);
    }
    const removedAt = new Map(done.map((d) => [d.id, d.removedAt]));
    const events: AuditEvent[] = [];
    const removals: { reason: string; expiresAt: Date; removedAt: Date }[] = [];
    for (const m of members) {
      const at = removedAt.get(m.id);
      if (!at) continue;
      const expiresAt = new Date(m.expires_at);
      removals.push({ reason: m.end_reason ?? "expired", expiresAt, removedAt: at });
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
    // One outbox row per grant that ended, then the audit, last: its lock is held from there to the commit.
    await recordTransition(tx, { notifyEnds: doneIds, audit: { actor: SYSTEM_ACTOR, events } });
    observeRemovals(removals);
    return done.length;
  });
}

/** The next moment a sweep has work: the earliest expiry, or a lapsed removal lease. */
export async function nextDueAt(): Promise<Date | null> {
  const lease = env.GRANT_LEASE_SECONDS;
  const [row] = await db.execute<{ next: Date | string | null }>(sql`
    select least(
      ${sql.join(
        DUE_STATES.map((s) => sql`(select min(expires_at) from grants where state = ${stateSql(s)})`),
        sql`, `,
      )},
      (select min(claimed_at) + make_interval(secs => ${lease}) from grants where state = ${stateSql(REMOVING_STATE)})
    ) as next`);
  return row?.next ? new Date(row.next) : null;
}
