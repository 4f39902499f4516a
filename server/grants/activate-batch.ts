import "server-only";
import { and, inArray, ne, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { isDirectoryUnreachable } from "@/server/directory/outages";
import { addMembersTo } from "@/server/directory/service";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";
import { jobKeys } from "@/server/jobs/enqueue";
import { completeJobsByKey, jobExists, jobKeyFor } from "@/server/jobs/queue";
import { jobs } from "@/server/jobs/registry";
import {
  activateClaimed,
  applyMembership,
  claim,
  dropTemporaryGroup,
  type ActivationOutcome,
  type AppliedMembership,
  type Grant,
  recheckAtActivation,
  recordActivation,
  recordFailure,
} from "./activate";
import { dropLease, holdLease } from "./leases";
import { recheckBatch } from "./recheck-batch";
import { recordDirectActivations } from "./record-batch";
import { replicationStart, type ReplicationStart } from "./replication";
import { stateSql } from "./state-sql";
import { assertTransition } from "./states";
import { recordTransition } from "./transition";

/*
 * Activations queued together are written together (issue 15): the job that runs first claims its
 * own grant and then every other activation that is waiting and due, and puts the plain (`direct`)
 * memberships in with one modify per group and LDAP_MODIFY_BATCH_SIZE values, as the sweep takes
 * them out. Each grant keeps its own outcome: its claim and `grant.provisioning` event, its live
 * policy verdict (judged on facts read once for the batch, recheck-batch.ts: a refused grant fails
 * alone), its `grant.activated` event and clock (a group's grants recorded in one transaction,
 * record-batch.ts), replication, and the TTL and temporary-group mechanisms (their values or groups
 * are the grant's own: written one by one, beside the batch). A lone grant takes the single path
 * (activate.ts) unchanged.
 */

/** Database lanes for the per-grant steps of a batch (the pool has DB_POOL_MAX connections, the jobs use some). */
const LANES = 4;

export type BatchSummary = { batch: number; activated: number; failed: number; retried: number; skipped: number };

/** The task's entry: this grant's activation, with whatever else is queued and due. */
export async function activateQueued(grantId: string): Promise<ActivationOutcome | BatchSummary> {
  const own = await claim(grantId);
  if (own === "window-closed") return "cancelled";
  if (!own) return "nothing-to-do";
  // The own grant's recheck runs while the others are looked for: a lone grant (the latency case) does not wait for that look.
  const recheck = recheckAtActivation(own);
  recheck.catch(() => {}); // awaited by either path below
  const others = await claimQueued(own.id, env.ACTIVATION_BATCH_SIZE - 1).catch(async (err: unknown) => {
    await recheck.catch(() => {});
    throw err;
  });
  // Held by this process until done: a worker stopping on SIGTERM hands them back (./leases.ts).
  const tokens = [own, ...others].map((g) => holdLease(g.claimToken!));
  try {
    if (others.length === 0) return await activateClaimed(own, recheck);
    return await activateBatch([own, ...others], new Map([[own.id, recheck]]));
  } finally {
    for (const t of tokens) dropLease(t);
  }
}

/**
 * Claims pending grants whose activation job waits with its time come (nobody runs it, and it is
 * not in a retry's backoff), oldest first, SKIP LOCKED so concurrent jobs share them. Their jobs
 * are completed in the same transaction: the batch now owns them, and schedules a retry itself.
 */
async function claimQueued(ownId: string, limit: number): Promise<Grant[]> {
  if (limit <= 0) return [];
  assertTransition("pending", "provisioning");
  return db.transaction(async (tx) => {
    const ready = sql`(select g.id from grants g
      where g.state = ${stateSql("pending")} and g.id <> ${ownId}
        and (g.not_after is null or g.not_after > now()) and (g.starts_at is null or g.starts_at <= now())
        and ${jobExists(jobKeyFor(jobs.grants__activate.key, sql`g.id`), { dueNow: true })}
      order by g.created_at limit ${limit} for update skip locked)`;
    const rows = await tx
      .update(grants)
      .set({ state: "provisioning", attempts: sql`${grants.attempts} + 1`, claimedAt: sql`now()`, claimToken: sql`gen_random_uuid()`, updatedAt: sql`now()` })
      .where(and(inArray(grants.id, ready), ne(grants.id, ownId)))
      .returning();
    if (rows.length === 0) return [];
    await completeJobsByKey(
      tx,
      rows.map((r) => jobKeys.activate(r.id)),
    );
    await recordTransition(tx, {
      audit: {
        actor: SYSTEM_ACTOR,
        events: rows.map((row) => ({
          action: "grant.provisioning" as const,
          targetType: "grant" as const,
          targetId: row.id,
          data: { attempt: row.attempts, groupDn: row.groupDn, memberDn: row.memberDn },
        })),
      },
    });
    return rows;
  });
}

async function activateBatch(batch: Grant[], started: Map<string, ReturnType<typeof recheckAtActivation>>): Promise<BatchSummary> {
  const summary: BatchSummary = { batch: batch.length, activated: 0, failed: 0, retried: 0, skipped: 0 };
  const lease = leaseKeeper(batch);
  const fail = async (g: Grant, err: unknown) => {
    const outcome = await recordFailure(g, err, { reschedule: true });
    if ((outcome === "failed" || outcome === "revoked") && g.mechanism === "temporary-group") await dropTemporaryGroup(g.id, outcome);
    if (outcome === "pending") summary.retried++;
    else if (outcome === "superseded") summary.skipped++;
    else summary.failed++;
  };
  const record = async (g: Grant, applied: AppliedMembership, replication: ReplicationStart) => {
    await lease.renewIfDue();
    if (await recordActivation(g, applied, replication)) summary.activated++;
    else summary.skipped++;
  };
  // A group's grants written by one modify are recorded in one transaction (record-batch.ts); should it fail, one by one.
  const recordGroup = async (members: Grant[], already: Set<string>, replication: ReplicationStart) => {
    await lease.renewIfDue();
    const written = members.map((g) => ({ claimed: g, alreadyMember: already.has(g.memberGuid.toLowerCase()) }));
    const recorded = await recordDirectActivations(written, replication).catch((err: unknown) => {
      scoped("grants").warn({ err, grants: members.length }, "recording a group's activations together failed: recording them one by one");
      return undefined;
    });
    if (!recorded)
      return inLanes(written, LANES, ({ claimed, alreadyMember }) =>
        record(claimed, { mechanism: "direct", ttlSeconds: null, alreadyMember, tempGroup: null }, replication),
      );
    summary.activated += recorded.size;
    summary.skipped += members.length - recorded.size;
  };

  // The live policy: the batch's facts read once and each grant judged on them (recheck-batch.ts);
  // the own grant's recheck already runs. Should that transaction fail as a whole, each grant is
  // rechecked in its own, as on the single path. (The lease is renewed meanwhile, or the watchdog
  // would hand the grants to other jobs: a batch may wait on the DC for tokenGroups.)
  const live: Grant[] = [];
  // Meanwhile, each group's identity check (addMembersTo): the adds below wait for theirs.
  const writers = new Map<string, ReturnType<typeof addMembersTo>>();
  for (const g of batch)
    if (g.mechanism === "direct" && !writers.has(g.groupGuid.toLowerCase())) writers.set(g.groupGuid.toLowerCase(), addMembersTo(g.groupGuid));
  await lease.renewIfDue();
  const together = await recheckBatch(batch.filter((g) => !started.has(g.id))).catch((err: unknown) => {
    scoped("grants").warn({ err, batch: batch.length }, "batched live-policy recheck failed: rechecking grant by grant");
    return undefined;
  });
  await inLanes(batch, LANES, async (g) => {
    await lease.renewIfDue();
    const checked = together?.get(g.id) ?? (await (started.get(g.id) ?? recheckAtActivation(g)).catch((err: unknown) => ({ err })));
    if (typeof checked === "object" && "err" in checked) return fail(g, checked.err);
    if (checked === "superseded") summary.skipped++;
    else if (checked === "refused") {
      summary.failed++;
      if (g.mechanism === "temporary-group") await dropTemporaryGroup(g.id, "failed");
    } else live.push(checked);
  });
  if (live.length === 0) return summary;

  let replication: ReplicationStart;
  try {
    replication = await replicationStart();
  } catch (err) {
    await inLanes(live, LANES, (g) => fail(g, err));
    return summary;
  }

  const recordings: Promise<void>[] = [];
  const single = live.filter((g) => g.mechanism !== "direct");
  const byGroup = new Map<string, Grant[]>();
  for (const g of live.filter((x) => x.mechanism === "direct")) byGroup.set(g.groupGuid.toLowerCase(), [...(byGroup.get(g.groupGuid.toLowerCase()) ?? []), g]);

  // One group at a time (a DC applies a group's modifies one after another); the grants are recorded
  // once every group's add is in (recording beside the adds took the CPU a DC on the same machine
  // needed: the adds' visible time doubled). Once no DC answers, the rest fail without trying.
  const written: [Grant[], Set<string>][] = [];
  let unreachable: unknown;
  for (const members of byGroup.values()) {
    if (unreachable) {
      recordings.push(inLanes(members, LANES, (g) => fail(g, unreachable)));
      continue;
    }
    try {
      await lease.renewIfDue();
      const add = writers.get(members[0]!.groupGuid.toLowerCase()) ?? addMembersTo(members[0]!.groupGuid);
      const result = await add(members.map((g) => g.memberGuid));
      const already = new Set(result.alreadyDone);
      written.push([members, already]);
    } catch (err) {
      if (isDirectoryUnreachable(err)) {
        unreachable = err;
        recordings.push(inLanes(members, LANES, (g) => fail(g, err)));
        continue;
      }
      // A refusal of the batch (the group, or one value): one by one, so each grant gets its own outcome.
      single.push(...members);
    }
  }
  recordings.push(inLanes(written, 2, ([members, already]) => recordGroup(members, already, replication)));
  // TTL and temporary-group grants (and a refused batch's): the single path's write, beside the batch.
  recordings.push(
    inLanes(single, LANES, async (g) => {
      if (unreachable) return fail(g, unreachable);
      let applied: AppliedMembership;
      try {
        applied = await applyMembership(g);
      } catch (err) {
        return fail(g, err);
      }
      await record(g, applied, replication);
    }),
  );
  await Promise.all(recordings);
  return summary;
}

/** Renews the batch's claims (each grant has its own token) once half the lease has passed. */
function leaseKeeper(batch: Grant[]) {
  let renewedAt = Date.now();
  let renewing: Promise<unknown> | undefined;
  const ids = batch.map((g) => g.id).join(",");
  const tokens = batch.map((g) => g.claimToken!).join(",");
  return {
    async renewIfDue() {
      if (!renewing && Date.now() - renewedAt < (env.GRANT_LEASE_SECONDS * 1000) / 2) return;
      renewedAt = Date.now();
      renewing ??= db
        .execute(
          // SKIP LOCKED: a row locked now is being recorded or failed (its claim ends), and waiting for a
          // transaction that holds many of the batch's rows while this holds others could deadlock.
          sql`update grants g set claimed_at = now() from (
                select g2.id from grants g2 join unnest(string_to_array(${ids}, ',')::uuid[], string_to_array(${tokens}, ',')::uuid[]) as c(id, token)
                  on g2.id = c.id and g2.claim_token = c.token
                where g2.state = ${stateSql("provisioning")} order by g2.id for update of g2 skip locked) s
              where g.id = s.id`,
        )
        .finally(() => (renewing = undefined));
      await renewing;
    },
  };
}

/** Runs `fn` over `items` with at most `lanes` in flight; the first error is thrown once all settled. */
async function inLanes<T>(items: readonly T[], lanes: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!).catch((err: unknown) => (failure ??= err));
    }),
  );
  if (failure) throw failure;
}
