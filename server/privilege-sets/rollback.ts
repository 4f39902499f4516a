import "server-only";
import { and, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import { db, type Transaction } from "@/db";
import { grants, privilegeSets, privileges, requests } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertTransition, ENDABLE_GRANT_STATES, isInDirectory } from "@/server/grants/states";
import { recordTransition } from "@/server/grants/transition";
import { enqueue, jobKeys } from "@/server/jobs/enqueue";
import { removeJob } from "@/server/jobs/queue";

/*
 * All or nothing, after the fact. A set request's grants are created together, but each is
 * activated by its own job; when one fails for good, the others are taken back through the
 * normal paths: a sibling not yet started is cancelled (its job then finds nothing to do), one
 * being provisioned gets an end reason (activation makes it due at once), an active one is made
 * due now (the expiry sweep removes the membership). The request is marked failed with the reason.
 *
 * Locking: the caller (activateGrant's final failure) already holds the failed grant's row, so
 * waiting here for a sibling's row could deadlock with a sibling failing at the same moment, which
 * holds its own row and waits for ours. Siblings are therefore taken with SKIP LOCKED; one that is
 * locked (in the middle of its claim, activation or failure) is left to a second pass, a job that
 * runs once that transaction is over and holds no other grant while it waits.
 */

/** Every sibling of the failed grant that still holds or may still get access and is not ending. */
const openSiblings = (requestId: string, failedGrantId: string) =>
  and(eq(grants.requestId, requestId), ne(grants.id, failedGrantId), inArray(grants.state, [...ENDABLE_GRANT_STATES]), isNull(grants.endReason));

interface Failure {
  failedGrantId: string;
  failedPrivilege: string;
  reason: string;
}

/** Ends the given (locked) sibling grants; returns their ids. */
async function endSiblings(tx: Transaction, siblings: (typeof grants.$inferSelect)[], failure: Failure): Promise<string[]> {
  const events: AuditEvent[] = [];
  let dueNow = false;
  for (const g of siblings) {
    if (g.state === "pending") {
      assertTransition(g.state, "revoked");
      await tx
        .update(grants)
        .set({ state: "revoked", endReason: "revoked", removedAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(grants.id, g.id));
      await removeJob(tx, jobKeys.activate(g.id));
    } else {
      // Provisioning: the activation in flight lands as due at once (or, failing, as revoked).
      // Active or replicating: in the directory, so due now.
      const inDirectory = isInDirectory(g.state);
      await tx
        .update(grants)
        .set({ endReason: "revoked", expiresAt: inDirectory ? sql`now()` : g.expiresAt, updatedAt: sql`now()` })
        .where(eq(grants.id, g.id));
      if (inDirectory) {
        await recordTransition(tx, { expire: [{ grantId: g.id, at: new Date() }] });
        dueNow = true;
      }
    }
    events.push({ action: "grant.rolled_back", targetType: "grant", targetId: g.id, data: { ...failure, previousState: g.state } });
  }
  await recordTransition(tx, { wakeTimer: dueNow, audit: { actor: SYSTEM_ACTOR, events } });
  return siblings.map((g) => g.id);
}

/**
 * Rolls back the set request `requestId` after its grant `failedGrantId` failed for good, in the
 * caller's transaction. Does nothing for a request that is not a set request. Idempotent: a second
 * failure of the same set finds nothing left to end and keeps the first reason.
 */
export async function rollBackSet(
  tx: Transaction,
  requestId: string,
  failedGrantId: string,
  reason: string,
): Promise<{ rolledBack: string[]; deferred: boolean }> {
  // NO KEY UPDATE: siblings' transactions insert rows referencing the request (KEY SHARE) and must not wait for us.
  const [request] = await tx
    .select({ id: requests.id, setName: privilegeSets.name, outcomeComment: requests.outcomeComment })
    .from(requests)
    .innerJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
    .where(eq(requests.id, requestId))
    .for("no key update", { of: requests });
  if (!request) return { rolledBack: [], deferred: false };
  const [failed] = await tx
    .select({ name: privileges.name })
    .from(grants)
    .innerJoin(privileges, eq(privileges.id, grants.privilegeId))
    .where(eq(grants.id, failedGrantId));
  const failure: Failure = { failedGrantId, failedPrivilege: failed?.name ?? "unknown", reason };

  const siblings = await tx.select().from(grants).where(openSiblings(requestId, failedGrantId)).orderBy(grants.id).for("update", { skipLocked: true });
  const rolledBack = await endSiblings(tx, siblings, failure);
  // Siblings skipped as locked: the second pass ends them once their transaction is over.
  // (Those ended above no longer match: this transaction sees its own changes.)
  const [locked] = await tx.select({ id: grants.id }).from(grants).where(openSiblings(requestId, failedGrantId)).limit(1);
  if (locked)
    await enqueue(
      tx,
      "grants__rollback_set",
      { requestId, failedGrantId, reason },
      { jobKey: jobKeys.rollbackSet(requestId), runAt: new Date(Date.now() + 1_000) },
    );

  // The first failure tells the story; a later one of the same set adds its own grant's failure only.
  if (request.outcomeComment === null) {
    await tx
      .update(requests)
      .set({
        status: "failed",
        outcomeComment: `The privilege set "${request.setName}" was rolled back: "${failure.failedPrivilege}" could not be granted (${reason}).`,
      })
      .where(eq(requests.id, requestId));
    await recordAudit(tx, SYSTEM_ACTOR, [
      { action: "request.rolled_back", targetType: "request", targetId: requestId, data: { privilegeSet: request.setName, ...failure, rolledBack } },
    ]);
  }
  return { rolledBack, deferred: Boolean(locked) };
}

/**
 * The second pass (job grants__rollback_set): ends the siblings the first pass found locked. It
 * waits for their locks, in id order like every other multi-grant change, holding no other row.
 */
export async function finishSetRollback(requestId: string, failedGrantId: string, reason: string): Promise<string[]> {
  return db.transaction(async (tx) => {
    const siblings = await tx.select().from(grants).where(openSiblings(requestId, failedGrantId)).orderBy(grants.id).for("update");
    if (siblings.length === 0) return [];
    const [failed] = await tx
      .select({ name: privileges.name })
      .from(grants)
      .innerJoin(privileges, eq(privileges.id, grants.privilegeId))
      .where(eq(grants.id, failedGrantId));
    return endSiblings(tx, siblings, { failedGrantId, failedPrivilege: failed?.name ?? "unknown", reason });
  });
}
