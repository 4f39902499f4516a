import type { FrozenPolicy } from "@/server/access-groups/frozen";

/*
 * Approval levels as frozen on a request: pure helpers shared by the decision service and the
 * inbox. A level's requirement defaults to one approval; the last level is the highest one that
 * has approvers.
 */

export function lastLevel(policy: FrozenPolicy): number {
  return Math.max(1, ...policy.approvers.map((a) => a.level));
}

export function requiredAt(policy: FrozenPolicy, level: number): number {
  return policy.levels.find((l) => l.level === level)?.requiredApprovals ?? 1;
}

export function approversAt(policy: FrozenPolicy, level: number) {
  return policy.approvers.filter((a) => a.level === level);
}

export function isApproverAt(policy: FrozenPolicy, level: number, userGuid: string): boolean {
  const guid = userGuid.toLowerCase();
  return approversAt(policy, level).some((a) => a.userGuid.toLowerCase() === guid);
}
