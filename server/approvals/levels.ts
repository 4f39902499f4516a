import "server-only";
import { sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { FrozenPolicy } from "@/server/access-groups/frozen";

/*
 * Approval levels as frozen on a request: the rules the decision service, the inbox and the
 * requester's page share. A policy has as many levels as the highest level that has approvers (no
 * approvers, no levels: the approvers tab saves levels only where approvers sit); a level's
 * requirement defaults to one approval. Each rule the SQL needs too is written here once, next to
 * its TypeScript twin.
 */

/** How many approval levels the policy has: the highest level with an approver, 0 without approvers. */
export function levelCount(policy: FrozenPolicy): number {
  return Math.max(0, ...policy.approvers.map((a) => a.level));
}

/** levelCount in SQL, of a request's frozen policy column. */
export const levelCountSql = (policy: AnyColumn): SQL<number> =>
  sql<number>`(select coalesce(max((a ->> 'level')::int), 0) from jsonb_array_elements(${policy} -> 'approvers') a)`;

/** The level whose approval is the last one (a request always waits at level 1 at least). */
export function lastLevel(policy: FrozenPolicy): number {
  return Math.max(1, levelCount(policy));
}

export function requiredAt(policy: FrozenPolicy, level: number): number {
  return policy.levels.find((l) => l.level === level)?.requiredApprovals ?? 1;
}

export function approversAt(policy: FrozenPolicy, level: number) {
  return policy.approvers.filter((a) => a.level === level);
}

/**
 * The approver check, in SQL: the account (its GUID, any case) is an approver of the frozen policy,
 * at `level` when given, else at any level. The inbox filters with it and the decision re-checks with
 * it on the locked request row, so the two cannot disagree.
 */
export function isApproverSql(policy: AnyColumn, userGuid: string, level?: AnyColumn): SQL<boolean> {
  const atLevel = level === undefined ? sql`` : sql` and (a ->> 'level')::int = ${level}`;
  return sql<boolean>`exists (select 1 from jsonb_array_elements(${policy} -> 'approvers') a where lower(a ->> 'userGuid') = ${userGuid.toLowerCase()}${atLevel})`;
}
