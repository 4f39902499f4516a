import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Transaction } from "@/db";
import { accessGroupApprovers, requests } from "@/db/schema";
import { recheckPolicy } from "@/server/access-groups/live-policy";
import { SYSTEM_ACTOR, type AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { emitNotification } from "@/server/notifications/emit";

/*
 * The decision's two re-checks against the live access group (issue 13), each its own step of
 * `decide`: the request against the live policy (server/access-groups/live-policy.ts), and the
 * approver against the group's approvers now. The frozen policy still says who was asked and how
 * many approvals each level needs; the live group can only take away, never add.
 */

type Request = typeof requests.$inferSelect;

export type DecisionRecheck =
  | { outcome: "refused"; level: number }
  /** Go on with this duration (clipped to today's maximum) and this window end (the live one). */
  | { outcome: "go"; durationMinutes: number; windowEndsAt: Date | null };

/**
 * The request against the live policy, at its start (a scheduled request) or now. Refused: the
 * request ends as failed with the rule, on the timeline and notified, in the decision's transaction
 * (the vote itself is not recorded). A duration over the privilege's maximum of today is clipped,
 * with a note. An extension keeps its own limits (server/grants/extend.ts): only refusals apply.
 */
export async function recheckAtDecision(tx: Transaction, actor: AuditActor, request: Request, durationMinutes: number): Promise<DecisionRecheck> {
  const now = new Date();
  const at = request.startsAt && request.startsAt > now ? request.startsAt : now;
  const extension = request.kind === "extension";
  const live = await recheckPolicy(tx, { requestId: request.id, at, durationSeconds: extension ? 0 : durationMinutes * 60 });
  const level = request.currentLevel;
  if (live.outcome === "refuse") {
    const reason = `Refused by the access policy as it is now (${live.rule}): ${live.message}`;
    await tx.update(requests).set({ status: "failed", decidedAt: now, outcomeComment: reason }).where(eq(requests.id, request.id));
    await recordAudit(tx, actor, [
      { action: "request.policy_refused", targetType: "request", targetId: request.id, data: { rule: live.rule, reason: live.message, level } },
    ]);
    await emitNotification(tx, "failed", [{ requestId: request.id, grantId: request.extendsGrantId, data: { error: reason, actor: actor.name } }]);
    return { outcome: "refused", level };
  }
  if (extension) return { outcome: "go", durationMinutes, windowEndsAt: request.windowEndsAt };
  if (live.outcome === "clip") {
    const toMinutes = live.toSeconds / 60;
    await recordAudit(tx, SYSTEM_ACTOR, [
      { action: "request.duration_clipped", targetType: "request", targetId: request.id, data: { fromMinutes: durationMinutes, toMinutes, note: live.note } },
    ]);
    durationMinutes = toMinutes;
  }
  // The window as the group's limits draw it now: a request approved the day after its submission
  // gets today's window, not yesterday's.
  await tx.update(requests).set({ windowEndsAt: live.windowEndsAt }).where(eq(requests.id, request.id));
  return { outcome: "go", durationMinutes, windowEndsAt: live.windowEndsAt };
}

/**
 * Why this approver may no longer vote on the level the request waits at, or null when they may:
 * they must still be an approver of the request's access group at that level (removed from the
 * approvers, or moved to another level, they no longer decide on requests frozen before). The
 * refusal is audited here; the caller throws after the commit.
 */
export async function refusedVote(
  tx: Transaction,
  actor: AuditActor,
  request: Request,
  approverGuid: string,
  decision: "approve" | "deny",
): Promise<string | null> {
  const groupName = request.policy?.group.name ?? "this access group";
  const level = request.currentLevel;
  const rows = request.accessGroupId
    ? await tx
        .select({ level: accessGroupApprovers.level })
        .from(accessGroupApprovers)
        .where(and(eq(accessGroupApprovers.groupId, request.accessGroupId), sql`lower(${accessGroupApprovers.userGuid}) = ${approverGuid.toLowerCase()}`))
        .for("share")
    : [];
  if (rows.some((r) => r.level === level)) return null;
  const reason = rows.length
    ? `You are now an approver of level ${rows[0]!.level} of ${groupName}, not of level ${level}, where this request waits.`
    : `You are no longer an approver of ${groupName}.`;
  await recordAudit(tx, actor, [
    { action: "request.vote_refused", targetType: "request", targetId: request.id, data: { rule: "approver", reason, level, decision } },
  ]);
  return reason;
}
