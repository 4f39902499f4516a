import "server-only";
import { asc, eq, inArray } from "drizzle-orm";
import type { Transaction } from "@/db";
import { deviceSessions, grants, privileges, requests } from "@/db/schema";
import { enqueueSessionPrepare } from "@/server/sessions/queue";
import type { Privilege } from "@/server/access-groups/enforcement";
import { conflict } from "@/server/errors";
import { assertSetStillGrantable } from "@/server/privilege-sets/service";
import { insertingOneLive } from "./one-live";
import { INITIAL_GRANT_STATE } from "./states";
import { recordTransition } from "./transition";

/*
 * Grant creation: the first state of the machine, in the transaction that approves the request
 * (automatically at submission, or the last approval level).
 */

export interface NewGrant {
  requestId: string;
  userId: string;
  privilege: Privilege;
  member: { guid: string; dn: string };
  durationMinutes: number;
  notAfter: Date | null;
  startsAt: Date | null;
}

/**
 * The grant for an approved request, with its activation job, in the caller's transaction (the
 * request's approval and its grant commit together).
 */
export async function createGrant(tx: Transaction, g: NewGrant) {
  const [grant] = await tx
    .insert(grants)
    .values({
      requestId: g.requestId,
      userId: g.userId,
      privilegeId: g.privilege.id,
      mechanism: g.privilege.mechanism,
      memberGuid: g.member.guid,
      memberDn: g.member.dn,
      groupGuid: g.privilege.groupGuid,
      groupDn: g.privilege.groupDn,
      state: INITIAL_GRANT_STATE,
      durationSeconds: g.durationMinutes * 60,
      notAfter: g.notAfter,
      startsAt: g.startsAt,
    })
    .returning();
  // A scheduled grant's activation is a job at its start time (approved late, it starts at once).
  const runAt = g.startsAt && g.startsAt > new Date() ? g.startsAt : undefined;
  await recordTransition(tx, { activate: { grantId: grant!.id, runAt } });
  return grant!;
}

/** One grant per privilege (a set's all commit together with the request's approval, or none). */
export async function createGrants(tx: Transaction, g: Omit<NewGrant, "privilege"> & { privileges: Privilege[] }) {
  // One live grant per account and group: a race lost to another approval is a conflict, not a 500.
  return insertingOneLive(
    tx,
    g.member,
    g.privileges.map((p) => p.groupGuid),
    async (sp) => {
      const created = [];
      for (const privilege of g.privileges) created.push(await createGrant(sp, { ...g, privilege }));
      return created;
    },
  );
}

/**
 * The grants of a request whose last level just approved it, in the approval's transaction: its
 * privilege, or every privilege frozen on a set request — provided each is still published (and
 * the set still allows the account); otherwise nothing is granted and the approver is told.
 */
export async function grantApprovedRequest(
  tx: Transaction,
  request: typeof requests.$inferSelect,
  g: { member: { guid: string; dn: string }; durationMinutes: number },
) {
  const ids = request.setPrivilegeIds ?? [request.privilegeId];
  const rows = await tx.select().from(privileges).where(inArray(privileges.id, ids)).orderBy(asc(privileges.name), asc(privileges.id));
  const gone = rows.filter((p) => !p.enabled).map((p) => `"${p.name}"`);
  if (gone.length || rows.length !== ids.length) {
    const what = request.privilegeSetId
      ? `The privilege set includes ${gone.join(", ") || "a privilege"} that is no longer published`
      : "The privilege is no longer published";
    throw conflict(`${what}; deny the request instead.`);
  }
  if (request.privilegeSetId) await assertSetStillGrantable(tx, request.privilegeSetId, request.credentialId);
  const created = await createGrants(tx, {
    requestId: request.id,
    userId: request.requesterId,
    privileges: rows,
    member: g.member,
    durationMinutes: g.durationMinutes,
    notAfter: request.windowEndsAt,
    startsAt: request.startsAt,
  });
  // A session's request: the worker prepares the session once these grants are in.
  const [session] = await tx.select({ id: deviceSessions.id }).from(deviceSessions).where(eq(deviceSessions.requestId, request.id));
  if (session) await enqueueSessionPrepare(tx, session.id);
  return created;
}
