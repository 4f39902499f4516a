import "server-only";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, requests, users, userSessions } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { DomainError } from "@/server/errors";
import { endGrant } from "@/server/grants/service";
import { ENDABLE_GRANT_STATES, type GrantState } from "@/server/grants/states";
import { scoped } from "@/server/logger";
import { emitNotification } from "@/server/notifications/emit";
import { OFFBOARDING_REFUSALS, readAccountStates, type AccountRefusal } from "./account-state";
import { SYSTEM_REVOKER } from "./permissions";
import { endSessions } from "./sessions";

/*
 * The worker's side of "account state follows AD": a person whose AD account is disabled, expired
 * or deleted loses what Interim holds for them — pending requests cancelled, live grants ended
 * through the ordinary revoke path (so the removal from AD has its usual guarantees: lease, retries,
 * replication checks, audit, notification), sessions ended. Locked accounts and passwords that must
 * change only refuse calls: they come back by themselves.
 */

const log = () => scoped("offboarding");

/** Everyone with something to lose: a pending request, a live grant not already ending, or an open session. */
async function candidates(userId?: string) {
  const endable = ENDABLE_GRANT_STATES as GrantState[];
  const rows = await db
    .select({ id: users.id, guid: users.objectGuid, username: users.username })
    .from(users)
    .where(
      and(
        userId ? eq(users.id, userId) : undefined,
        sql`(exists (select 1 from ${requests} where ${requests.requesterId} = ${users.id} and ${requests.status} = 'pending')
          or exists (select 1 from ${grants} where ${grants.userId} = ${users.id} and ${grants.endReason} is null and ${inArray(grants.state, endable)})
          or exists (select 1 from ${userSessions} where ${userSessions.userId} = ${users.id} and ${userSessions.endedAt} is null))`,
      ),
    );
  return rows;
}

export interface OffboardResult {
  checked: number;
  offboarded: { userId: string; username: string; reason: AccountRefusal; requestsCancelled: number; grantsEnded: number }[];
}

/** Checks the candidates' accounts in AD (batched reads) and offboards those AD refuses for good. */
export async function offboardAccounts(opts: { userId?: string } = {}): Promise<OffboardResult> {
  const people = await candidates(opts.userId);
  if (!people.length) return { checked: 0, offboarded: [] };
  const states = await readAccountStates(people.map((p) => p.guid));
  const result: OffboardResult = { checked: people.length, offboarded: [] };
  for (const person of people) {
    const reason = states.get(person.guid.toLowerCase()) ?? null;
    if (!reason || !OFFBOARDING_REFUSALS.includes(reason)) continue;
    result.offboarded.push({ userId: person.id, username: person.username, reason, ...(await offboardOne(person, reason)) });
  }
  return result;
}

async function offboardOne(person: { id: string; username: string }, reason: AccountRefusal) {
  const comment = `Cancelled: the requester's account is ${reason} in the directory`;
  const cancelled = await db.transaction(async (tx) => {
    const rows = await tx
      .update(requests)
      .set({ status: "cancelled", decidedAt: new Date(), outcomeComment: comment })
      .where(and(eq(requests.requesterId, person.id), eq(requests.status, "pending")))
      .returning({ id: requests.id, level: requests.currentLevel });
    if (rows.length) {
      await recordAudit(
        tx,
        SYSTEM_ACTOR,
        rows.map((r) => ({ action: "request.cancelled" as const, targetType: "request" as const, targetId: r.id, data: { reason: comment } })),
      );
      await emitNotification(
        tx,
        "denied",
        rows.map((r) => ({ requestId: r.id, data: { level: r.level, comment, actor: SYSTEM_ACTOR.name } })),
      );
    }
    return rows.length;
  });

  const live = await db
    .select({ id: grants.id })
    .from(grants)
    .where(and(eq(grants.userId, person.id), isNull(grants.endReason), inArray(grants.state, ENDABLE_GRANT_STATES as GrantState[])));
  let ended = 0;
  for (const g of live) {
    try {
      const r = await endGrant(SYSTEM_REVOKER, SYSTEM_ACTOR, g.id, "revoked");
      if (!r.alreadyEnding) ended++;
    } catch (err) {
      // Ended meanwhile (a set's sibling, the sweep): nothing left to do for this one.
      if (err instanceof DomainError && err.kind === "conflict") continue;
      throw err;
    }
  }
  await endSessions(person.id, `account-${reason}`, SYSTEM_ACTOR);
  await db.transaction((tx) =>
    recordAudit(tx, SYSTEM_ACTOR, [
      {
        action: "user.offboarded",
        targetType: "user",
        targetId: person.id,
        data: { username: person.username, reason, requestsCancelled: cancelled, grantsEnded: ended },
      },
    ]),
  );
  log().info({ userId: person.id, username: person.username, reason, requestsCancelled: cancelled, grantsEnded: ended }, "account offboarded");
  return { requestsCancelled: cancelled, grantsEnded: ended };
}
