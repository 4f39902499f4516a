import type { AccessGroupPolicy } from "./policy-schemas";

/** An approver as frozen onto a request (issue 4 decides with these, not the live group). */
export interface FrozenApprover {
  userGuid: string;
  username: string;
  displayName: string;
  level: number;
}

/**
 * What a request was checked against: the binding group's whole policy, its approval levels and
 * approvers at that moment: the timeline's record of what was asked and who could decide. It does
 * not bind later decisions: every vote and every activation re-checks the live group
 * (server/access-groups/live-policy.ts), which may refuse, clip, or refuse a removed approver.
 */
export interface FrozenPolicy {
  group: AccessGroupPolicy;
  levels: { level: number; requiredApprovals: number }[];
  approvers: FrozenApprover[];
  checkedAt: string;
}
