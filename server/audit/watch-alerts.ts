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
 * Raises an alert once per process: `raised` holds the keys this worker already raised (its memory,
 * not the table, which anyone with database access can pre-fill). A new finding always records its
 * `audit.chain_broken` event and upserts its row: one already there (even acknowledged, even
 * inserted by someone else) is opened again and owes its notifications again. Returns the row's id,
 * or null when this process already raised it.
 */
export async function raiseAlert(f: ChainFinding, raised: Set<string>): Promise<string | null> {
  const key = findingKey(f);
  if (raised.has(key)) return null;
  const id = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(auditChainAlerts)
      .values({ key, problem: f.problem, seq: f.seq, message: f.message, detail: f.detail ?? {} })
      .onConflictDoUpdate({
        target: auditChainAlerts.key,
        set: {
          problem: f.problem,
          seq: f.seq,
          message: f.message,
          detail: f.detail ?? {},
          firstSeenAt: sql`now()`,
          acknowledgedAt: null,
          acknowledgedBy: null,
          notified: [],
          notifyAttempts: 0,
          notifiedAt: null,
          notifyError: null,
        },
      })
      .returning({ id: auditChainAlerts.id });
    await recordAudit(tx, SYSTEM_ACTOR, [
      {
        action: "audit.chain_broken",
        targetType: "audit_chain",
        targetId: String(f.seq),
        data: { alertId: row!.id, problem: f.problem, seq: f.seq, message: f.message },
      },
    ]);
    return row!.id;
  });
  raised.add(key);
  return id;
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
