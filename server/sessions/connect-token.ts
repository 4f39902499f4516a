import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { deviceSessions } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { conflict, notFound } from "@/server/errors";

/*
 * One-time tokens for native SSH clients (issue 14): shown once on /roles for a ready session on a
 * managed account, stored only as a hash, valid five minutes, consumed by the first login.
 */

const TOKEN_MINUTES = 5;
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function issueConnectToken(user: SessionUser, actor: AuditActor, sessionId: string) {
  const [s] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  if (!s) throw notFound("No such session.");
  assertCan(user, "end", "DeviceSession", { userId: s.userId });
  if (s.userId !== user.id) throw notFound("No such session.");
  if (s.state !== "ready") throw conflict("Only a ready session can be connected.");
  const token = `it_${randomBytes(24).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + TOKEN_MINUTES * 60_000);
  await db.transaction(async (tx) => {
    await tx
      .update(deviceSessions)
      .set({ connectTokenHash: hashToken(token), connectTokenExpiresAt: expiresAt })
      .where(eq(deviceSessions.id, sessionId));
    await recordAudit(tx, actor, [
      { action: "session.connect_token_issued", targetType: "device_session", targetId: sessionId, data: { expiresAt: expiresAt.toISOString() } },
    ]);
  });
  const port = env.INTERIM_SSH_GATEWAY_PORT ?? null;
  const host = new URL(env.APP_URL).hostname;
  return {
    token,
    expiresAt,
    command: port ? `ssh -p ${port} ${user.username}#${sessionId.slice(0, 8)}@${host}` : null,
    gatewayEnabled: port !== null,
  };
}

/** The session a token opens (and consumes it), or null. */
export const looksLikeToken = (password: string) => /^it_[A-Za-z0-9_-]{32}$/.test(password);

export async function redeemConnectToken(token: string): Promise<{ sessionId: string; userId: string } | null> {
  if (!looksLikeToken(token)) return null;
  const [s] = await db
    .update(deviceSessions)
    .set({ connectTokenHash: null, connectTokenExpiresAt: null })
    .where(and(eq(deviceSessions.connectTokenHash, hashToken(token)), gt(deviceSessions.connectTokenExpiresAt, sql`now()`)))
    .returning({ sessionId: deviceSessions.id, userId: deviceSessions.userId });
  return s ?? null;
}
