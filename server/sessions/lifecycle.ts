import "server-only";
import { and, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { db, type Executor } from "@/db";
import { catalogCredentials, deviceSessionChunks, deviceSessionCommands, deviceSessions, grants, requests } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_REVOKER } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { DirectoryError } from "@/server/directory/errors";
import { DomainError } from "@/server/errors";
import { endGrant } from "@/server/grants/service";
import { isEndedState, isLiveState } from "@/server/grants/states";
import { enqueue } from "@/server/jobs/enqueue";
import { jobs } from "@/server/jobs/registry";
import { scoped } from "@/server/logger";
import { enqueueSessionPrepare } from "./queue";
import { generatePassword, sealSessionPassword, setAccountPassword } from "./managed-password";

/*
 * A session's life outside the gateway (the worker's side): prepare (its grants are in, a managed
 * account gets a fresh password → ready), end (by whoever: the gateway, an admin, the sweep), and
 * finish (the grants end through the ordinary revoke path, so removal keeps every guarantee grants
 * have; the managed password is changed again). Each step re-reads its row and guards on state.
 */

const log = () => scoped("sessions");
export const OPEN_SESSION_STATES = ["requested", "preparing", "ready", "live"] as const;
/** A gateway that has not written for this long is taken for dead (it writes every second). */
export const HEARTBEAT_STALE_MS = 15_000;

export type SessionRow = typeof deviceSessions.$inferSelect;

async function enqueueFinish(tx: Executor, sessionId: string) {
  await enqueue(tx, "sessions__finish", { sessionId }, { jobKey: jobs.sessions__finish.key(sessionId) });
}

async function managedCredential(credentialId: string | null) {
  if (!credentialId) return null;
  const [c] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, credentialId));
  return c?.managed && c.objectGuid ? c : null;
}

/**
 * Ends an open session (idempotent: false when it had already ended). `failed` for sessions that
 * never got a connection to the device; the finish job follows in the same transaction.
 */
export async function endSession(
  sessionId: string,
  reason: string,
  opts: { actor?: AuditActor; endedBy?: string | null; error?: string | null; failed?: boolean } = {},
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(deviceSessions)
      .set({
        state: opts.failed ? "failed" : "ended",
        endedAt: sql`now()`,
        endReason: reason,
        endedBy: opts.endedBy ?? null,
        error: opts.error ?? null,
        updatedAt: sql`now()`,
      })
      .where(and(eq(deviceSessions.id, sessionId), inArray(deviceSessions.state, [...OPEN_SESSION_STATES])))
      .returning();
    if (!row) return false;
    const [counts] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(deviceSessionCommands)
      .where(eq(deviceSessionCommands.sessionId, sessionId));
    await recordAudit(tx, opts.actor ?? SYSTEM_ACTOR, [
      {
        action: "session.ended",
        targetType: "device_session",
        targetId: sessionId,
        data: { reason, commands: counts?.n ?? 0, recordingBytes: row.recordingBytes, error: opts.error ?? null },
      },
    ]);
    await enqueueFinish(tx, sessionId);
    return true;
  });
}

/** The worker's preparation: waits (re-queued each second) until every grant of the session is active. */
export async function prepareSession(sessionId: string): Promise<"ready" | "waiting" | "ended" | "nothing-to-do"> {
  const [s] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  if (!s || (s.state !== "requested" && s.state !== "preparing")) return "nothing-to-do";
  const [request] = await db.select({ status: requests.status }).from(requests).where(eq(requests.id, s.requestId));
  const ofRequest = await db.select({ state: grants.state, endReason: grants.endReason }).from(grants).where(eq(grants.requestId, s.requestId));
  if (request && request.status !== "approved" && request.status !== "pending") {
    await endSession(sessionId, `request-${request.status}`, { failed: true });
    return "ended";
  }
  if (!ofRequest.length) return "waiting"; // still waiting for approval: the approval queues this job again
  if (ofRequest.some((g) => isEndedState(g.state) || g.endReason)) {
    await endSession(sessionId, "grant-ended", { failed: true, error: "The session's access ended before it was connected." });
    return "ended";
  }
  if (!ofRequest.every((g) => g.state === "active")) {
    await db.transaction(async (tx) => {
      await tx
        .update(deviceSessions)
        .set({ state: "preparing", updatedAt: sql`now()` })
        .where(and(eq(deviceSessions.id, sessionId), eq(deviceSessions.state, "requested")));
      await enqueueSessionPrepare(tx, sessionId, new Date(Date.now() + 1_000));
    });
    return "waiting";
  }
  const credential = await managedCredential(s.credentialId);
  let sealed: string | null = null;
  if (credential) {
    const password = generatePassword();
    try {
      await setAccountPassword(credential.objectGuid!, password);
    } catch (err) {
      // Unreachable: the job retries. Refused (no Reset password right, a protected account, the
      // domain's policy): the session fails now with a reason an admin can act on, and its access goes.
      if (!(err instanceof DirectoryError) || err.kind === "unreachable") throw err;
      await endSession(sessionId, "password-refused", {
        failed: true,
        error: `The directory refused to set ${credential.username}'s password (${err.kind}). Delegate "Reset password" on its OU to Interim's service account.`,
      });
      return "ended";
    }
    sealed = sealSessionPassword(sessionId, password);
  }
  return db.transaction(async (tx) => {
    const [ready] = await tx
      .update(deviceSessions)
      .set({ state: "ready", passwordSealed: sealed, passwordSetAt: credential ? sql`now()` : null, updatedAt: sql`now()` })
      .where(and(eq(deviceSessions.id, sessionId), inArray(deviceSessions.state, ["requested", "preparing"])))
      .returning({ id: deviceSessions.id });
    // Ended meanwhile: the finish job changes the password we just set (passwordSetAt is what it reads).
    if (!ready) {
      if (credential)
        await tx
          .update(deviceSessions)
          .set({ passwordSetAt: sql`now()` })
          .where(eq(deviceSessions.id, sessionId));
      return "nothing-to-do" as const;
    }
    const events = [
      { action: "session.ready" as const, targetType: "device_session" as const, targetId: sessionId, data: { login: s.login, passwordSet: !!credential } },
    ];
    await recordAudit(tx, SYSTEM_ACTOR, [
      ...events,
      ...(credential
        ? [
            {
              action: "session.password_rotated" as const,
              targetType: "device_session" as const,
              targetId: sessionId,
              data: { login: s.login, phase: "before" as const },
            },
          ]
        : []),
    ]);
    return "ready" as const;
  });
}

/** After the end: the grants end through the revoke path; a password set for the session is changed again. */
export async function finishSession(sessionId: string): Promise<void> {
  const [s] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  if (!s || (s.state !== "ended" && s.state !== "failed")) return;
  const live = await db.select({ id: grants.id, state: grants.state, endReason: grants.endReason }).from(grants).where(eq(grants.requestId, s.requestId));
  const first = live.find((g) => isLiveState(g.state) && !g.endReason);
  if (first) {
    try {
      await endGrant(SYSTEM_REVOKER, SYSTEM_ACTOR, first.id, "ended_early"); // ends every grant of the request
    } catch (err) {
      if (!(err instanceof DomainError && err.kind === "conflict")) throw err;
    }
  }
  // A pending request of a session that ended before approval is withdrawn.
  await db
    .update(requests)
    .set({ status: "cancelled", decidedAt: new Date(), outcomeComment: `Cancelled: the session ended (${s.endReason})` })
    .where(and(eq(requests.id, s.requestId), eq(requests.status, "pending")));
  if (s.passwordRotatedAt) return;
  const credential = s.passwordSetAt ? await managedCredential(s.credentialId) : null;
  if (credential) await setAccountPassword(credential.objectGuid!, generatePassword());
  await db.transaction(async (tx) => {
    await tx
      .update(deviceSessions)
      .set({ passwordRotatedAt: sql`now()`, passwordSealed: null, updatedAt: sql`now()` })
      .where(and(eq(deviceSessions.id, sessionId), isNull(deviceSessions.passwordRotatedAt)));
    if (credential)
      await recordAudit(tx, SYSTEM_ACTOR, [
        { action: "session.password_rotated", targetType: "device_session", targetId: sessionId, data: { login: s.login, phase: "after" } },
      ]);
  });
}

/**
 * Every minute: live sessions whose gateway went silent are interrupted (their recording is kept up
 * to its last flush); open sessions whose grants all ended are ended; finished sessions still
 * waiting for their follow-up get it; recordings older than the retention go.
 */
export async function sweepSessions(now = new Date()) {
  const stale = await db
    .select({ id: deviceSessions.id })
    .from(deviceSessions)
    .where(and(eq(deviceSessions.state, "live"), lt(deviceSessions.heartbeatAt, new Date(now.getTime() - HEARTBEAT_STALE_MS))));
  for (const s of stale) await endSession(s.id, "interrupted", { error: "The gateway holding the session stopped answering." });

  const orphaned = await db
    .select({ id: deviceSessions.id })
    .from(deviceSessions)
    .where(
      and(
        inArray(deviceSessions.state, ["preparing", "ready"]),
        sql`exists (select 1 from ${grants} g where g.request_id = ${deviceSessions.requestId})`,
        sql`not exists (select 1 from ${grants} g where g.request_id = ${deviceSessions.requestId} and g.end_reason is null and g.state in ('pending','provisioning','replicating','active'))`,
      ),
    );
  for (const s of orphaned) await endSession(s.id, "grant-ended");

  const unfinished = await db
    .select({ id: deviceSessions.id })
    .from(deviceSessions)
    .where(and(isNotNull(deviceSessions.endedAt), isNull(deviceSessions.passwordRotatedAt)));
  if (unfinished.length) await db.transaction(async (tx) => Promise.all(unfinished.map((s) => enqueueFinish(tx, s.id))));

  const cutoff = new Date(now.getTime() - env.INTERIM_SESSION_RECORDING_RETENTION_DAYS * 86_400_000);
  const purged = await db.execute(
    sql`delete from ${deviceSessionChunks} c using ${deviceSessions} s where c.session_id = s.id and s.ended_at < ${cutoff.toISOString()}`,
  );
  const result = { interrupted: stale.length, ended: orphaned.length, finishing: unfinished.length, purgedChunks: purged.count ?? 0 };
  if (result.interrupted || result.ended) log().info(result, "sessions swept");
  return result;
}
