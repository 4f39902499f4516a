import "server-only";
import { and, desc, eq, isNull } from "drizzle-orm";
import { db } from "@/db";
import { users, userSessions } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { env } from "@/server/env";
import { unauthenticated } from "@/server/errors";
import { enqueue } from "@/server/jobs/enqueue";
import { scoped } from "@/server/logger";
import { accountStateOf, OFFBOARDING_REFUSALS, REFUSAL_MESSAGES } from "./account-state";
import { assertCan, type SessionUser } from "./permissions";

/*
 * Server-side sessions. The JWT only says which session it belongs to (`sid`); the row says
 * whether that session still holds: not ended (sign-out, an admin, an account AD refused), not
 * idle longer than INTERIM_SESSION_IDLE_MINUTES, not older than INTERIM_SESSION_MAX_AGE_HOURS.
 * Both next-auth's jwt callback (so /api/auth/session stops renewing the cookie) and every tRPC
 * call (authedProcedure) go through confirmSession.
 */

/** last_seen_at is written at most this often per session. */
export const SESSION_TOUCH_MS = 60_000;

const SYSTEM_WEB: AuditActor = { type: "system", id: null, name: "interim-web" };
const log = () => scoped("sessions");

export type SessionRow = typeof userSessions.$inferSelect;
export type SessionRefusal = "ended" | "idle" | "expired";

/** The pure decision on one session row. */
export function sessionRefusal(row: Pick<SessionRow, "endedAt" | "lastSeenAt" | "expiresAt">, idleMinutes: number, now = new Date()): SessionRefusal | null {
  if (row.endedAt) return "ended";
  if (now.getTime() >= row.expiresAt.getTime()) return "expired";
  if (now.getTime() - row.lastSeenAt.getTime() >= idleMinutes * 60_000) return "idle";
  return null;
}

const SESSION_MESSAGES: Record<SessionRefusal, string> = {
  ended: "Your session has ended. Sign in again.",
  idle: "Your session ended after a period of inactivity. Sign in again.",
  expired: "Your session has reached its maximum length. Sign in again.",
};

/** Opens the session of a sign-in; its id goes into the JWT. */
export async function startSession(userId: string, ip: string | null, userAgent: string | null): Promise<string> {
  const now = new Date();
  const [row] = await db
    .insert(userSessions)
    .values({
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + env.INTERIM_SESSION_MAX_AGE_HOURS * 3_600_000),
      ip,
      userAgent: userAgent?.slice(0, 512) ?? null,
    })
    .returning({ id: userSessions.id });
  return row!.id;
}

/**
 * Ends every open session of a person (or one session), audited. Returns how many were open.
 * `reason` is what the admin list and the trail show ("ended-by-admin", "account-disabled", …).
 */
export async function endSessions(userId: string, reason: string, actor: AuditActor, sessionId?: string): Promise<number> {
  return db.transaction(async (tx) => {
    const where = and(eq(userSessions.userId, userId), isNull(userSessions.endedAt), sessionId ? eq(userSessions.id, sessionId) : undefined);
    const ended = await tx.update(userSessions).set({ endedAt: new Date(), endReason: reason }).where(where).returning({ id: userSessions.id });
    if (ended.length) {
      const [u] = await tx.select({ username: users.username }).from(users).where(eq(users.id, userId));
      await recordAudit(tx, actor, [
        { action: "auth.sessions_ended", targetType: "user", targetId: userId, data: { username: u?.username ?? "", reason, sessions: ended.length } },
      ]);
    }
    return ended.length;
  });
}

/**
 * Whether the session `sessionId` of `userId` still holds and the account may still be used;
 * throws UNAUTHORIZED with the reason otherwise (and ends the session for good). `touch`: this is
 * activity (a tRPC call), so last_seen_at moves (at most once a minute). A session without an id
 * is refused: every sign-in since sessions exist has one.
 */
export async function confirmSession(userId: string, sessionId: string | null | undefined, opts: { touch: boolean }): Promise<void> {
  if (!sessionId) throw unauthenticated(SESSION_MESSAGES.ended);
  const [row] = await db.select().from(userSessions).where(eq(userSessions.id, sessionId));
  if (!row || row.userId !== userId) throw unauthenticated(SESSION_MESSAGES.ended);
  const now = new Date();
  const refusal = sessionRefusal(row, env.INTERIM_SESSION_IDLE_MINUTES, now);
  if (refusal) {
    if (refusal !== "ended") await endSessions(userId, refusal, SYSTEM_WEB, sessionId);
    throw unauthenticated(SESSION_MESSAGES[refusal]);
  }
  await confirmAccount(userId);
  if (opts.touch && now.getTime() - row.lastSeenAt.getTime() >= SESSION_TOUCH_MS) {
    await db
      .update(userSessions)
      .set({ lastSeenAt: now })
      .where(and(eq(userSessions.id, sessionId), isNull(userSessions.endedAt)));
  }
}

/**
 * The account check of confirmSession, also used alone (an approver's vote). A refusal AD just
 * reported ends the person's sessions; a disabled, expired or deleted account is offboarded by the
 * worker now rather than at its next sweep.
 */
export async function confirmAccount(userId: string): Promise<void> {
  const state = await accountStateOf(userId);
  if (!state.refusal) return;
  if (state.fresh) {
    log().warn({ userId, username: state.username, refusal: state.refusal }, "account refused by the directory: sessions ended");
    await endSessions(userId, `account-${state.refusal}`, SYSTEM_WEB);
    if (OFFBOARDING_REFUSALS.includes(state.refusal)) await enqueue(db, "accounts__offboard", { userId }, { jobKey: `accounts-offboard:${userId}` });
  }
  throw unauthenticated(REFUSAL_MESSAGES[state.refusal]);
}

/** Admin: the open sessions, newest activity first. */
export async function listOpenSessions(admin: SessionUser) {
  assertCan(admin, "read", "Session");
  const now = new Date();
  const rows = await db
    .select({
      id: userSessions.id,
      userId: userSessions.userId,
      username: users.username,
      displayName: users.displayName,
      createdAt: userSessions.createdAt,
      lastSeenAt: userSessions.lastSeenAt,
      expiresAt: userSessions.expiresAt,
      endedAt: userSessions.endedAt,
      ip: userSessions.ip,
      userAgent: userSessions.userAgent,
    })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(isNull(userSessions.endedAt))
    .orderBy(desc(userSessions.lastSeenAt))
    .limit(500);
  // Rows past their idle or absolute limit are ended at their next use; they are not open.
  return rows.filter((r) => sessionRefusal(r, env.INTERIM_SESSION_IDLE_MINUTES, now) === null).map(({ endedAt: _ended, ...r }) => r);
}

/** Admin: ends every open session of a person; their next call (tRPC or /api/auth/session) is refused. */
export async function endSessionsByAdmin(admin: SessionUser, actor: AuditActor, userId: string): Promise<{ ended: number }> {
  assertCan(admin, "manage", "Session");
  return { ended: await endSessions(userId, "ended-by-admin", actor) };
}
