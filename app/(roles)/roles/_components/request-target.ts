import type { RouterOutputs } from "@/components/router-types";

type Access = RouterOutputs["requests"]["access"];
export type AvailableEntry = Access["privileges"][number];
export type AvailableSet = Access["sets"][number];

/** What the request form asks for: one privilege or a privilege set, with the accounts it may elevate. */
export interface RequestTarget {
  kind: "privilege" | "set";
  id: string;
  name: string;
  maxDurationMinutes: number;
  defaultDurationMinutes: number;
  /** "My own account" is offered (always for a privilege; for a set only where it allows it). */
  ownAccount: boolean;
  accounts: { id: string; username: string; displayName: string }[];
  emergencyAllowed: boolean;
  verdict: AvailableEntry["verdict"];
}

export function privilegeTarget({ privilege, accounts, emergencyAllowed, verdict }: AvailableEntry): RequestTarget {
  const { id, name, maxDurationMinutes, defaultDurationMinutes } = privilege;
  return { kind: "privilege", id, name, maxDurationMinutes, defaultDurationMinutes, ownAccount: true, accounts, emergencyAllowed, verdict };
}

export function setTarget({ set, ownAccount, accounts, emergencyAllowed, verdict }: AvailableSet): RequestTarget {
  const { id, name, maxDurationMinutes, defaultDurationMinutes } = set;
  return { kind: "set", id, name, maxDurationMinutes, defaultDurationMinutes, ownAccount, accounts, emergencyAllowed, verdict };
}
