import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { catalogDevices, deviceSessions, grants } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { conflict, forbidden, notFound, unavailable } from "@/server/errors";
import type { SessionRules } from "@/shared/sessions/settings-schema";
import { unsealSessionPassword } from "../managed-password";

/*
 * What a gateway gets to hold a session: claimed once (ready → live, so a second connection is
 * refused), with the managed password unsealed only here. The gateway never decides policy.
 */

export interface Ticket {
  sessionId: string;
  requestId: string;
  userId: string;
  deviceName: string;
  login: string;
  host: string;
  port: number;
  hostKey: string;
  /** The managed account's password for this session; null: the person supplies theirs. */
  managedPassword: string | null;
  recording: boolean;
  rules: SessionRules;
  planned: string[];
  idleMs: number;
  endsAt: Date;
  connectedAt: Date;
}

const NOT_READY: Record<string, string> = {
  requested: "This session is waiting for approval.",
  preparing: "This session is being prepared (access is on its way into the directory). Try again in a few seconds.",
  live: "This session is already connected elsewhere.",
  ended: "This session has ended. Start a new one.",
  failed: "This session failed. Start a new one.",
};

/** Looks without claiming: is this person's session ready, and does it need their password? */
export async function peekSession(sessionId: string, userId: string) {
  const [s] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  if (!s) throw notFound("No such session.");
  if (s.userId !== userId) throw forbidden("This session is someone else's.");
  if (s.state !== "ready") throw conflict(NOT_READY[s.state] ?? "This session cannot be connected.");
  return { needsPassword: s.passwordSealed === null, login: s.login };
}

export async function claimSession(sessionId: string, userId: string, actor: AuditActor, via: "browser" | "ssh", gateway: string): Promise<Ticket> {
  await peekSession(sessionId, userId);
  return db.transaction(async (tx) => {
    const ofRequest = await tx
      .select({ state: grants.state, endReason: grants.endReason, expiresAt: grants.expiresAt })
      .from(grants)
      .innerJoin(deviceSessions, eq(deviceSessions.requestId, grants.requestId))
      .where(eq(deviceSessions.id, sessionId));
    if (!ofRequest.length || ofRequest.some((g) => g.state !== "active" || g.endReason)) throw conflict("This session's access is not active (anymore).");
    const grantsEnd = Math.min(...ofRequest.map((g) => g.expiresAt?.getTime() ?? Infinity));
    const [s] = await tx
      .update(deviceSessions)
      .set({
        state: "live",
        gateway,
        heartbeatAt: sql`now()`,
        connectedAt: sql`now()`,
        lastInputAt: sql`now()`,
        endsAt: sql`least(now() + make_interval(mins => ${deviceSessions.maxMinutes}), ${new Date(grantsEnd === Infinity ? Date.now() + 86_400_000 : grantsEnd).toISOString()}::timestamptz)`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(deviceSessions.id, sessionId), eq(deviceSessions.userId, userId), eq(deviceSessions.state, "ready")))
      .returning();
    if (!s) throw conflict(NOT_READY.live!);
    const [device] = await tx.select({ name: catalogDevices.name }).from(catalogDevices).where(eq(catalogDevices.id, s.deviceId));
    let managedPassword: string | null = null;
    if (s.passwordSealed) {
      managedPassword = unsealSessionPassword(s.id, s.passwordSealed);
      if (managedPassword === null) throw unavailable("The session's password cannot be read (the key changed). Start a new session.");
    }
    await recordAudit(tx, actor, [{ action: "session.connected", targetType: "device_session", targetId: s.id, data: { via, gateway } }]);
    return {
      sessionId: s.id,
      requestId: s.requestId,
      userId: s.userId,
      deviceName: device?.name ?? s.host,
      login: s.login,
      host: s.host,
      port: s.port,
      hostKey: s.hostKeySha256,
      managedPassword,
      recording: s.recording,
      rules: s.rules,
      planned: s.plannedActivity,
      idleMs: s.idleMinutes * 60_000,
      endsAt: s.endsAt!,
      connectedAt: s.connectedAt!,
    };
  });
}
