import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { db, type Transaction } from "@/db";
import { grants, requests } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { recheckPolicy, type PolicyRecheck } from "@/server/access-groups/live-policy";
import { isDirectoryUnreachable, noteDirectoryUnreachable } from "@/server/directory/outages";
import { pamFeatureEnabled } from "@/server/directory/pam";
import { addMembersTo } from "@/server/directory/service";
import { deleteTemporaryGroupOf, provisionTemporaryGroup, type TemporaryGroup } from "@/server/directory/temporary-groups";
import { membershipFor, type GrantMechanism } from "@/server/directory/ttl";
import { env } from "@/server/env";
import { observeActivation } from "@/server/ops/metrics";
import { isDomainError } from "@/server/errors";
import { rollBackSet } from "@/server/privilege-sets/rollback";
import { recordedErrorText } from "./error-text";
import { dropLease, holdLease } from "./leases";
import { replicationStart, type ReplicationStart } from "./replication";
import { stateCase, stateSql } from "./state-sql";
import { assertTransition } from "./states";
import { MAX_ACTIVATION_ATTEMPTS } from "./timing";
import { recordTransition } from "./transition";

/*
 * Activation: pending → provisioning (the claim) → the directory write → replicating | active, or,
 * when the write fails, pending again (a retry), failed, or revoked. Each step that changes the
 * grant is its own transaction; the directory write happens between them, outside any.
 */

const WINDOW_CLOSED = "The access group's time window closed before access could be granted";

const lapsedLease = (column: typeof grants.claimedAt) => sql`${column} < now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS})`;

export type Grant = typeof grants.$inferSelect;

/**
 * Puts the grant's account into its group. Safe to run twice or after a crash: the claim only
 * takes a pending grant (or one whose provisioning lease lapsed) and fences every later write
 * with its token; "already a member" is success. Returns what happened, for the task's log.
 */
export async function activateGrant(grantId: string): Promise<ActivationOutcome> {
  const claimed = await claim(grantId);
  if (claimed === "window-closed") return "cancelled";
  if (!claimed) return "nothing-to-do";
  // Held by this process until done: a worker stopping on SIGTERM hands it back (./leases.ts).
  const token = holdLease(claimed.claimToken!);
  try {
    return await activateClaimed(claimed);
  } finally {
    dropLease(token);
  }
}

export type ActivationOutcome = "activated" | "nothing-to-do" | "failed" | "cancelled";

/**
 * Steps 1b and 2 for one claimed grant (activate-batch.ts hands a batch of one here too, with the
 * recheck it started while it looked for other queued activations).
 */
export async function activateClaimed(claimed: Grant, recheck = recheckAtActivation(claimed)): Promise<ActivationOutcome> {
  // Read while the policy is rechecked, used only once it passed: the replication settings and the
  // group's identity check (an add still waits for that check; a refused grant reads them in vain).
  const replicating = replicationStart();
  replicating.catch(() => {}); // awaited below unless the recheck ends the attempt first
  const writer = claimed.mechanism === "temporary-group" ? undefined : addMembersTo(claimed.groupGuid);
  let applied: AppliedMembership;
  let replication: ReplicationStart;
  try {
    // Issue 13: the access group as it is now, before anything reaches the directory (it may read the DC: a failure retries).
    const live = await recheck;
    if (live === "superseded") return "nothing-to-do";
    if (live === "refused") {
      if (claimed.mechanism === "temporary-group") await dropTemporaryGroup(claimed.id, "failed");
      return "failed";
    }
    claimed = live;
    // Read before the write, so that nothing can fail between the write and recording it.
    replication = await replicating;
    applied = await applyMembership(claimed, writer);
  } catch (err) {
    const outcome = await recordFailure(claimed, err);
    // A temporary group the failed attempt may have made (and nested) goes with the grant now,
    // not at the next orphan cleanup: nothing else would end the access it gives.
    if ((outcome === "failed" || outcome === "revoked") && claimed.mechanism === "temporary-group") await dropTemporaryGroup(claimed.id, outcome);
    if (outcome === "failed") return "failed";
    if (outcome === "revoked") return "cancelled";
    throw err;
  }
  return (await recordActivation(claimed, applied, replication)) ? "activated" : "nothing-to-do";
}

/** Every write after the claim applies only while the claim (its token) is still the grant's. */
export const fenced = (claimed: Grant) => and(eq(grants.id, claimed.id), eq(grants.state, "provisioning"), eq(grants.claimToken, claimed.claimToken!));

/**
 * Step 1: pending (or provisioning with a lapsed lease) → provisioning, under a fresh claim token.
 * A pending grant whose access-group window has closed (the worker or the DC was down until then)
 * is cancelled instead: access outside the window would break the policy.
 */
export async function claim(grantId: string): Promise<Grant | "window-closed" | undefined> {
  assertTransition(["pending", "provisioning"], "provisioning");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(grants)
      .set({ state: "provisioning", attempts: sql`${grants.attempts} + 1`, claimedAt: sql`now()`, claimToken: sql`gen_random_uuid()`, updatedAt: sql`now()` })
      .where(
        and(
          eq(grants.id, grantId),
          // A scheduled grant does not start before its time, whoever runs the job.
          sql`((${grants.state} = ${stateSql("pending")} and (${grants.notAfter} is null or ${grants.notAfter} > now()) and (${grants.startsAt} is null or ${grants.startsAt} <= now())) or (${grants.state} = ${stateSql("provisioning")} and ${lapsedLease(grants.claimedAt)}))`,
        ),
      )
      .returning();
    if (!row) return (await cancelIfWindowClosed(tx, grantId)) ? ("window-closed" as const) : undefined;
    await recordTransition(tx, {
      audit: {
        actor: SYSTEM_ACTOR,
        events: [
          {
            action: "grant.provisioning",
            targetType: "grant",
            targetId: row.id,
            data: { attempt: row.attempts, groupDn: row.groupDn, memberDn: row.memberDn },
          },
        ],
      },
    });
    return row;
  });
}

/** pending → revoked when the window closed before the grant could start. */
async function cancelIfWindowClosed(tx: Transaction, grantId: string): Promise<boolean> {
  assertTransition("pending", "revoked");
  const [late] = await tx
    .update(grants)
    .set({ state: "revoked", endReason: "expired", removedAt: sql`now()`, lastError: WINDOW_CLOSED, updatedAt: sql`now()` })
    .where(and(eq(grants.id, grantId), eq(grants.state, "pending"), sql`${grants.notAfter} <= now()`))
    .returning({ id: grants.id, requestId: grants.requestId });
  if (!late) return false;
  // Audit before the outbox row here, as this path always did (two calls keep that order).
  await recordTransition(tx, {
    audit: { actor: SYSTEM_ACTOR, events: [{ action: "grant.cancelled", targetType: "grant", targetId: late.id, data: { reason: WINDOW_CLOSED } }] },
  });
  await recordTransition(tx, { notify: [{ event: "failed", items: [{ requestId: late.requestId, grantId: late.id, data: { error: WINDOW_CLOSED } }] }] });
  return true;
}

/**
 * Step 1b, under the claim: the live policy (server/access-groups/live-policy.ts) at the moment of
 * activation — a scheduled start, a retry, each grant of a set. Refused: provisioning → failed with
 * the rule, the request failed (a set rolled back), notified and on the timeline. A duration over
 * the privilege's maximum of today is clipped (with a note); the end never passes the group's
 * window as its limits draw it now. Returns the grant as it now stands.
 */
export async function recheckAtActivation(claimed: Grant): Promise<Grant | "refused" | "superseded"> {
  return db.transaction(async (tx) => {
    const [grant] = await tx.select().from(grants).where(fenced(claimed)).for("update");
    if (!grant) return "superseded" as const;
    return settleRecheck(tx, grant, await recheckPolicy(tx, { grantId: grant.id, at: new Date() }));
  });
}

/**
 * What the live policy's verdict does to the claimed grant (`grant`: its row, locked FOR UPDATE in
 * `tx`): refused → failed; otherwise its end drawn in to the group's window, its duration clipped.
 * The batch path (recheck-batch.ts) settles each grant of a batch with it too.
 */
export async function settleRecheck(tx: Transaction, grant: Grant, live: PolicyRecheck): Promise<Grant | "refused" | "superseded"> {
  if (live.outcome === "refuse") {
    await refuseActivation(tx, grant, live.rule, live.message);
    return "refused" as const;
  }
  const ends = [grant.notAfter, live.windowEndsAt].filter((d): d is Date => d !== null);
  const notAfter = ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
  const durationSeconds = live.outcome === "clip" ? live.toSeconds : grant.durationSeconds;
  if (notAfter?.getTime() === grant.notAfter?.getTime() && durationSeconds === grant.durationSeconds) return grant;
  const [updated] = await tx
    .update(grants)
    .set({ notAfter, durationSeconds, updatedAt: sql`now()` })
    .where(fenced(grant))
    .returning();
  if (!updated) return "superseded" as const;
  if (live.outcome === "clip") {
    const data = { fromMinutes: live.fromSeconds / 60, toMinutes: live.toSeconds / 60, note: live.note };
    await recordTransition(tx, {
      audit: { actor: SYSTEM_ACTOR, events: [{ action: "grant.duration_clipped", targetType: "grant", targetId: grant.id, data }] },
    });
  }
  return updated;
}

/** provisioning → failed: the live policy refused the grant before anything reached the directory. */
async function refuseActivation(tx: Transaction, grant: Grant, rule: string, message: string) {
  assertTransition("provisioning", "failed");
  const reason = `Refused by the access policy as it is now (${rule}): ${message}`;
  await tx
    .update(grants)
    .set({ state: "failed", removedAt: sql`now()`, lastError: reason, claimedAt: null, claimToken: null, updatedAt: sql`now()` })
    .where(fenced(grant));
  await recordTransition(tx, {
    notify: [{ event: "failed", items: [{ requestId: grant.requestId, grantId: grant.id, data: { error: reason } }] }],
    audit: { actor: SYSTEM_ACTOR, events: [{ action: "grant.policy_refused", targetType: "grant", targetId: grant.id, data: { rule, reason: message } }] },
  });
  // A set is all or nothing: its other grants are taken back, and the request says so (no-op for one privilege).
  await rollBackSet(tx, grant.requestId, grant.id, reason);
  await tx
    .update(requests)
    .set({ status: "failed", outcomeComment: sql`coalesce(${requests.outcomeComment}, ${reason})` })
    .where(eq(requests.id, grant.requestId));
}

/** graphile-worker's own backoff (exp(attempts) seconds), for retries the bulk path schedules itself. */
const retryAt = (attempts: number) => new Date(Date.now() + Math.exp(Math.min(attempts, 10)) * 1000);

/**
 * Step 2, failed: provisioning → revoked (an end was requested meanwhile: it wins over a retry),
 * failed (the last attempt) or pending (retried). The add may have reached the DC before the error:
 * the grant ends as revoked/failed, which reconcile treats as a source of orphans.
 */
export async function recordFailure(
  claimed: Grant,
  err: unknown,
  opts: { reschedule?: boolean } = {},
): Promise<"superseded" | "pending" | "failed" | "revoked"> {
  const final = claimed.attempts >= MAX_ACTIVATION_ATTEMPTS || (isDomainError(err) && err.kind === "refused"); // a refusal (identity.ts) is not retried
  const error = recordedErrorText(err, claimed.id);
  // No DC answered: the outage is recorded once (server/directory/outages.ts) and a retry is not audited grant by grant.
  const outage = isDirectoryUnreachable(err);
  if (outage) await noteDirectoryUnreachable(err);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(grants)
      .set({
        state: stateCase(
          ["provisioning"],
          [
            [sql`${grants.endReason} is not null`, "revoked"],
            [sql`${final}`, "failed"],
          ],
          "pending",
        ),
        removedAt: sql`case when ${grants.endReason} is not null or ${final} then now() end`,
        lastError: error,
        claimedAt: null,
        claimToken: null,
        updatedAt: sql`now()`,
      })
      .where(fenced(claimed))
      .returning({ state: grants.state, requestId: grants.requestId });
    if (!row) return "superseded" as const;
    if (row.state === "failed") await tx.update(requests).set({ status: "failed" }).where(eq(requests.id, row.requestId));
    if (outage && row.state === "pending") {
      if (opts.reschedule) await recordTransition(tx, { activate: { grantId: claimed.id, runAt: retryAt(claimed.attempts) } });
      return "pending" as const;
    }
    await recordTransition(tx, {
      activate: opts.reschedule && row.state === "pending" ? { grantId: claimed.id, runAt: retryAt(claimed.attempts) } : undefined,
      notify: row.state === "failed" ? [{ event: "failed", items: [{ requestId: row.requestId, grantId: claimed.id, data: { error } }] }] : [],
      audit: {
        actor: SYSTEM_ACTOR,
        events: [
          {
            action: "grant.activation_failed",
            targetType: "grant",
            targetId: claimed.id,
            data: { attempt: claimed.attempts, error, final: row.state !== "pending" },
          },
        ],
      },
    });
    // A privilege set is all or nothing: its other grants are taken back (no-op for a single privilege).
    if (row.state === "failed") await rollBackSet(tx, row.requestId, claimed.id, error);
    return row.state as "pending" | "failed" | "revoked";
  });
}

/**
 * Step 2, written: provisioning → replicating (other DCs to wait for, until server/grants/replication.ts
 * settles it; the sweep removes it on time either way) or active. The clock starts now, at the
 * write: access is real on this DC from here on, so counting from a later moment (replication done)
 * would let it outlast what was granted. An end requested while we were provisioning makes the
 * grant due at once.
 */
export async function recordActivation(claimed: Grant, applied: AppliedMembership, replication: ReplicationStart): Promise<boolean> {
  assertTransition("provisioning", replication.waits ? "replicating" : "active");
  return db.transaction(async (tx) => {
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
      .where(fenced(claimed))
      .returning();
    if (!row?.expiresAt) return false;
    observeActivation(row);
    await recordTransition(tx, {
      expire: [{ grantId: row.id, at: row.expiresAt }],
      wakeTimer: true,
      warn: row,
      // Replicating: the holder hears "granted" once every DC has it (checkReplication).
      // An end requested while provisioning (a revoke, a set's rollback) makes it due at once: no "granted".
      notify: !replication.waits && !row.endReason ? [{ event: "granted", items: [{ requestId: row.requestId, grantId: row.id }] }] : [],
      audit: {
        actor: SYSTEM_ACTOR,
        events: [
          {
            action: "grant.activated",
            targetType: "grant",
            targetId: row.id,
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
        ],
      },
    });
    return true;
  });
}

/** Best effort: when the directory refuses this too, the orphan cleanup (every 2 minutes) retries. */
export async function dropTemporaryGroup(grantId: string, grantState: "failed" | "revoked") {
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

export interface AppliedMembership {
  /** What the directory was actually asked for, which the grant row then records. */
  mechanism: GrantMechanism;
  ttlSeconds: number | null;
  /** The account was a direct member already (direct and TTL only). */
  alreadyMember: boolean;
  tempGroup: TemporaryGroup | null;
}

/** Writes the grant's membership the way its mechanism says; idempotent, so a retry after a crash is safe. */
export async function applyMembership(grant: Grant, add?: ReturnType<typeof addMembersTo>): Promise<AppliedMembership> {
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
  const result = await (add ?? addMembersTo(grant.groupGuid))([grant.memberGuid], membership.ttlSeconds === null ? {} : { ttlSeconds: membership.ttlSeconds });
  return { mechanism: membership.mechanism, ttlSeconds: membership.ttlSeconds, alreadyMember: result.alreadyDone.length > 0, tempGroup: null };
}
