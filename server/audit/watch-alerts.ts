import "server-only";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { auditChainAlerts } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { notFound } from "@/server/errors";
import { SYSTEM_ACTOR, type AuditActor } from "./events";
import { recordAudit } from "./service";

/** A problem the continuous check found: `key` makes it one alert however often it is seen. */
export interface ChainFinding {
  problem: string;
  seq: number;
  message: string;
  detail?: Record<string, unknown>;
}

export const findingKey = (f: ChainFinding) => `${f.problem}:${f.seq}`;

/**
 * Raises an alert once: the row (unique key) and its `audit.chain_broken` event commit together;
 * a finding already raised (open or acknowledged) returns null.
 */
export async function raiseAlert(f: ChainFinding): Promise<string | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(auditChainAlerts)
      .values({ key: findingKey(f), problem: f.problem, seq: f.seq, message: f.message, detail: f.detail ?? {} })
      .onConflictDoNothing({ target: auditChainAlerts.key })
      .returning({ id: auditChainAlerts.id });
    if (!row) return null;
    await recordAudit(tx, SYSTEM_ACTOR, [
      {
        action: "audit.chain_broken",
        targetType: "audit_chain",
        targetId: String(f.seq),
        data: { alertId: row.id, problem: f.problem, seq: f.seq, message: f.message },
      },
    ]);
    return row.id;
  });
}

/** Open alerts, newest first (the overview banner). */
export async function openAlerts(user: SessionUser) {
  assertCan(user, "read", "Audit");
  return db
    .select({
      id: auditChainAlerts.id,
      problem: auditChainAlerts.problem,
      seq: auditChainAlerts.seq,
      message: auditChainAlerts.message,
      firstSeenAt: auditChainAlerts.firstSeenAt,
    })
    .from(auditChainAlerts)
    .where(isNull(auditChainAlerts.acknowledgedAt))
    .orderBy(desc(auditChainAlerts.firstSeenAt))
    .limit(50);
}

/** An admin has seen the alert (and says what was done): it leaves the banner; audited. */
export async function acknowledgeAlert(user: SessionUser, actor: AuditActor, id: string, note: string) {
  assertCan(user, "read", "Audit");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(auditChainAlerts)
      .set({ acknowledgedAt: sql`now()`, acknowledgedBy: user.id })
      .where(and(eq(auditChainAlerts.id, id), isNull(auditChainAlerts.acknowledgedAt)))
      .returning({ problem: auditChainAlerts.problem, seq: auditChainAlerts.seq });
    if (!row) throw notFound("This alert does not exist or was already acknowledged.");
    await recordAudit(tx, actor, [
      { action: "audit.chain_alert_acknowledged", targetType: "audit_chain_alert", targetId: id, data: { problem: row.problem, seq: row.seq, note } },
    ]);
    return { id };
  });
}
