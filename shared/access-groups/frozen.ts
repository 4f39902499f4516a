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
 * approvers at that moment. Later edits of the group do not change a request in flight.
 */
export interface FrozenPolicy {
  group: AccessGroupPolicy;
  levels: { level: number; requiredApprovals: number }[];
  approvers: FrozenApprover[];
  checkedAt: string;
}
