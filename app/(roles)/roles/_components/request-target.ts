import type { RouterOutputs } from "@/components/router-types";

type AccessPage = RouterOutputs["requests"]["access"];
export type AvailableItem = AccessPage["items"][number];
export type AvailableSet = AccessPage["sets"][number];
type Account = { id: string; username: string; displayName: string };
export type AvailableEntry = AvailableItem;

/** What the request form asks for: one privilege or a privilege set, with the accounts it may elevate. */
export interface RequestTarget {
  kind: "privilege" | "set";
  id: string;
  name: string;
  maxDurationMinutes: number;
  defaultDurationMinutes: number;
  /** "My own account" is offered (always for a privilege; for a set only where it allows it). */
  ownAccount: boolean;
  /** A set's accounts; a privilege's are fetched by the form (requests.accounts) when it has any. */
  accounts: Account[];
  accountCount: number;
  emergencyAllowed: boolean;
  verdict: AvailableItem["verdict"];
  /** The requester approves for the group that would bind the request. */
  selfApprover: boolean;
}

export function privilegeTarget({ privilege, accountCount, emergencyAllowed, verdict, selfApprover }: AvailableEntry): RequestTarget {
  const { id, name, maxDurationMinutes, defaultDurationMinutes } = privilege;
  return {
    kind: "privilege",
    id,
    name,
    maxDurationMinutes,
    defaultDurationMinutes,
    ownAccount: true,
    accounts: [],
    accountCount,
    emergencyAllowed,
    verdict,
    selfApprover,
  };
}

export function setTarget({ set, ownAccount, accounts, emergencyAllowed, verdict, selfApprover }: AvailableSet): RequestTarget {
  const { id, name, maxDurationMinutes, defaultDurationMinutes } = set;
  return {
    kind: "set",
    id,
    name,
    maxDurationMinutes,
    defaultDurationMinutes,
    ownAccount,
    accounts,
    accountCount: accounts.length,
    emergencyAllowed,
    verdict,
    selfApprover,
  };
}
