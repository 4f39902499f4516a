import "server-only";
import { and, desc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { db, type Transaction } from "@/db";
import { grants, privilegeSets, privileges, requests, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { pamFeatureEnabled } from "@/server/directory/pam";
import { temporaryGroupsAvailable } from "@/server/directory/temporary-groups";
import { env } from "@/server/env";
import { conflict, notFound } from "@/server/errors";
import { jobKeys } from "@/server/jobs/enqueue";
import { removeJob } from "@/server/jobs/queue";
import { matchesText, parsePage, toPage, totalOver } from "@/server/lists/paging";
import { liveGrantPageInput, type LiveGrantFilter, type LiveGrantPageInput } from "./schemas";
import { stateSql, statesSql } from "./state-sql";
import { assertTransition, isInDirectory, isLiveState, LIVE_GRANT_STATES, REMOVED_STATES, REMOVING_STATE } from "./states";
import { recordTransition } from "./transition";

const HOUR_MS = 3_600_000;

/**
 * Until when access can outlive its end in Kerberos tickets issued before it: removing a member
 * does not shrink tickets already issued (up to the max ticket age), while with a TTL membership
 * the KDC capped every ticket at the TTL, so access ends with the grant.
 */
export function ticketsValidUntil(mechanism: string, end: Date | null): Date | null {
  if (!end) return null;
  return mechanism === "ttl" ? end : new Date(end.getTime() + env.KERBEROS_MAX_TICKET_AGE_HOURS * HOUR_MS);
}

const liveGrantColumns = {
  id: grants.id,
  requestId: grants.requestId,
  state: grants.state,
  username: users.username,
  displayName: users.displayName,
  privilege: privileges.name,
  /** Granted as part of this privilege set (revoking one revokes the set). */
  privilegeSet: privilegeSets.name,
  groupDn: grants.groupDn,
  memberDn: grants.memberDn,
  activatedAt: grants.activatedAt,
  expiresAt: grants.expiresAt,
  endReason: grants.endReason,
  lastError: grants.lastError,
  mechanism: grants.mechanism,
  tempGroupDn: grants.tempGroupDn,
  replication: grants.replication,
  removalPending: sql<boolean>`${grants.state} in ${statesSql(REMOVED_STATES)}`,
};

// The same predicate as the grants_removal_unverified index.
const removalUnverified = sql`(${grants.removalVerifiedAt} is null and ${grants.activatedAt} is not null and ${grants.state} in ${statesSql(REMOVED_STATES)})`;
const isLiveOrRemoving = or(inArray(grants.state, [...LIVE_GRANT_STATES]), removalUnverified);

const STATE_FILTER: Record<LiveGrantFilter, SQL> = {
  waiting: sql`${grants.state} in ${statesSql(["pending", "provisioning"])}`,
  replicating: sql`${grants.state} = ${stateSql("replicating")}`,
  active: sql`${grants.state} = ${stateSql("active")}`,
  removing: sql`(${grants.state} = ${stateSql(REMOVING_STATE)} or ${removalUnverified})`,
};

function liveGrantQuery<E extends Record<string, SQL>>(where: SQL | undefined, extra: E) {
  return db
    .select({ ...liveGrantColumns, ...extra })
    .from(grants)
    .innerJoin(users, eq(users.id, grants.userId))
    .innerJoin(privileges, eq(privileges.id, grants.privilegeId))
    .innerJoin(requests, eq(requests.id, grants.requestId))
    .leftJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
    .where(and(isLiveOrRemoving, where));
}

function withTicketFacts<G extends { state: string; mechanism: string; endReason: string | null; expiresAt: Date | null }>(g: G) {
  return {
    ...g,
    kerberosMaxTicketAgeHours: env.KERBEROS_MAX_TICKET_AGE_HOURS,
    // A TTL grant ended early keeps its TTL in issued tickets, which the row no longer tells: no claim then.
    ticketsValidUntil: isInDirectory(g.state) && !(g.mechanism === "ttl" && g.endReason) ? ticketsValidUntil(g.mechanism, g.expiresAt) : null,
  };
}

/**
 * Grants that hold or are about to hold access, for the admin dashboard, and removals some DC
 * has not confirmed yet (access may still work through that DC).
 */
export async function listLiveGrants(user: SessionUser) {
  assertCan(user, "revoke", "Grant");
  const rows = await liveGrantQuery(undefined, {}).orderBy(desc(grants.createdAt)).limit(500);
  return rows.map(withTicketFacts);
}

/** One page of them, newest first, searched by holder or privilege and filtered by where they are in their life (the admin list). */
export async function pageLiveGrants(user: SessionUser, raw: LiveGrantPageInput) {
  assertCan(user, "revoke", "Grant");
  const input = parsePage(liveGrantPageInput, raw);
  const where = and(
    matchesText(input.q, [users.username, users.displayName, privileges.name, grants.groupDn, privilegeSets.name]),
    input.state ? STATE_FILTER[input.state] : undefined,
  );
  const rows = await liveGrantQuery(where, { total: totalOver }).orderBy(desc(grants.createdAt), desc(grants.id)).limit(input.limit).offset(input.offset);
  const page = await toPage(rows, input, async () => {
    const [n] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(grants)
      .innerJoin(users, eq(users.id, grants.userId))
      .innerJoin(privileges, eq(privileges.id, grants.privilegeId))
      .innerJoin(requests, eq(requests.id, grants.requestId))
      .leftJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
      .where(and(isLiveOrRemoving, where));
    return n?.n ?? 0;
  });
  return { ...page, items: page.items.map(withTicketFacts) };
}

/**
 * What the UI needs to say when access truly ends: the max ticket age, whether TTL memberships
 * are possible, and which of the caller's grants have one (My access lists grants without their
 * mechanism).
 */
export async function kerberosFacts(user: SessionUser) {
  assertCan(user, "read", "Grant", { userId: user.id });
  const ttl = await db
    .select({ id: grants.id })
    .from(grants)
    .where(and(eq(grants.userId, user.id), eq(grants.mechanism, "ttl")))
    .orderBy(desc(grants.createdAt))
    .limit(200);
  return {
    maxTicketAgeHours: env.KERBEROS_MAX_TICKET_AGE_HOURS,
    // Unknown (null) when it was never checked and the directory cannot be asked now: the
    // ticket notes do not depend on it, so they still show.
    pamFeatureEnabled: await pamFeatureEnabled().catch(() => null),
    ttlGrantIds: ttl.map((g) => g.id),
    temporaryGroupsAvailable: temporaryGroupsAvailable(),
  };
}

/**
 * Ends a grant now: an admin revokes (any grant), a holder ends their own early. Not yet in AD →
 * cancelled outright; in AD (or being put there) → due now, so the expiry sweep removes it. A
 * privilege set is held as one: ending any of its grants ends all of them.
 */
export async function endGrant(user: SessionUser, actor: AuditActor, grantId: string, reason: "revoked" | "ended_early") {
  return db.transaction(async (tx) => {
    const [peek] = await tx.select({ requestId: grants.requestId }).from(grants).where(eq(grants.id, grantId));
    if (!peek) throw notFound("No such grant.");
    // Every grant of the request (a set's siblings; one grant otherwise), locked in id order as every
    // multi-grant change does, so two people ending the same set cannot deadlock.
    const ofRequest = await tx.select().from(grants).where(eq(grants.requestId, peek.requestId)).orderBy(grants.id).for("update");
    const grant = ofRequest.find((g) => g.id === grantId)!;
    assertCan(user, reason === "revoked" ? "revoke" : "end", "Grant", { userId: grant.userId });
    if (!isLiveState(grant.state)) throw conflict(`This grant has already ended (${grant.state}).`);
    const siblings = ofRequest.filter((g) => g.id !== grantId && isLiveState(g.state));
    for (const sibling of siblings) await endOne(tx, user, actor, sibling, reason);
    return endOne(tx, user, actor, grant, reason);
  });
}

async function endOne(tx: Transaction, user: SessionUser, actor: AuditActor, grant: typeof grants.$inferSelect, reason: "revoked" | "ended_early") {
  const grantId = grant.id;
  if (grant.state === REMOVING_STATE || grant.endReason) {
    return { grantId, state: grant.state, alreadyEnding: true };
  }
  const inDirectory = isInDirectory(grant.state);
  if (grant.state === "pending") {
    // Not in the directory yet: cancelled outright, its activation job dropped.
    assertTransition(grant.state, "revoked");
    await tx
      .update(grants)
      .set({ state: "revoked", endReason: reason, endedBy: user.id || null, removedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(grants.id, grantId));
    await removeJob(tx, jobKeys.activate(grantId));
    // Audit before the outbox row here, as this path always did (two calls keep that order).
    await recordTransition(tx, { audit: { actor, events: [{ action: "grant.cancelled", targetType: "grant", targetId: grantId, data: { reason } }] } });
    await recordTransition(tx, { notify: [{ event: "revoked", items: [{ requestId: grant.requestId, grantId, data: { actor: actor.name } }] }] });
    return { grantId, state: "revoked" as const, alreadyEnding: false };
  }
  await tx
    .update(grants)
    .set({
      endReason: reason,
      endedBy: user.id || null, // SYSTEM_REVOKER (server/auth/permissions.ts) ends as nobody
      // A grant in the directory (active or still replicating) is due now; a provisioning one
      // becomes due the moment it is in.
      expiresAt: inDirectory ? sql`now()` : grant.expiresAt,
      updatedAt: sql`now()`,
    })
    .where(and(eq(grants.id, grantId)));
  // No state change here: the end reason makes the sweep (or the activation in flight) end it.
  await recordTransition(tx, {
    expire: inDirectory ? [{ grantId, at: new Date() }] : [],
    wakeTimer: inDirectory,
    audit: {
      actor,
      events: [
        { action: "grant.end_requested", targetType: "grant", targetId: grantId, data: { reason, previousExpiresAt: grant.expiresAt?.toISOString() ?? null } },
      ],
    },
  });
  return { grantId, state: grant.state, alreadyEnding: false };
}
