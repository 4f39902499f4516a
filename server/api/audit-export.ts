import "server-only";
import { and, asc, eq, gt, gte, lt } from "drizzle-orm";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";

export interface AuditExportQuery {
  /** Events after this seq (0: from the start); the answer's nextAfterSeq continues. */
  afterSeq: number;
  limit: number;
  action?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

/**
 * A page of the trail in chain order, for automation that pulls it (a cursor on seq, so pages
 * never shift while events are written). The hash fields come along: a consumer can check the chain.
 */
export async function exportAuditPage(user: SessionUser, q: AuditExportQuery) {
  assertCan(user, "read", "Audit");
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        gt(auditEvents.seq, q.afterSeq),
        q.action ? eq(auditEvents.action, q.action) : undefined,
        q.targetId ? eq(auditEvents.targetId, q.targetId) : undefined,
        q.from ? gte(auditEvents.at, q.from) : undefined,
        q.to ? lt(auditEvents.at, q.to) : undefined,
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(q.limit);
  return { events: rows, nextAfterSeq: rows.length === q.limit ? rows.at(-1)!.seq : null };
}
