import type { RouterOutputs } from "@/components/router-types";

type AccessPage = RouterOutputs["requests"]["access"];
export type AvailableItem = AccessPage["items"][number];
export type AvailableSet = AccessPage["sets"][number];
type Account = { id: string; username: string; displayName: string };
/** A listed privilege with its accounts resolved from the page's shared lists. */
export type AvailableEntry = Omit<AvailableItem, "accountList"> & { accounts: Account[] };

/** What the request form asks for: one privilege or a privilege set, with the accounts it may elevate. */
export interface RequestTarget {
  kind: "privilege" | "set";
  id: string;
  name: string;
  maxDurationMinutes: number;
  defaultDurationMinutes: number;
  /** "My own account" is offered (always for a privilege; for a set only where it allows it). */
  ownAccount: boolean;
  accounts: Account[];
  emergencyAllowed: boolean;
  verdict: AvailableItem["verdict"];
  /** The requester approves for the group that would bind the request. */
  selfApprover: boolean;
}

export function privilegeTarget({ privilege, accounts, emergencyAllowed, verdict, selfApprover }: AvailableEntry): RequestTarget {
  const { id, name, maxDurationMinutes, defaultDurationMinutes } = privilege;
  return { kind: "privilege", id, name, maxDurationMinutes, defaultDurationMinutes, ownAccount: true, accounts, emergencyAllowed, verdict, selfApprover };
}

export function setTarget({ set, ownAccount, accounts, emergencyAllowed, verdict, selfApprover }: AvailableSet): RequestTarget {
  const { id, name, maxDurationMinutes, defaultDurationMinutes } = set;
  return { kind: "set", id, name, maxDurationMinutes, defaultDurationMinutes, ownAccount, accounts, emergencyAllowed, verdict, selfApprover };
}
