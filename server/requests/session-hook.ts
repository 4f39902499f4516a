import "server-only";
import type { Transaction } from "@/db";
import type { AccessGroupPolicy } from "@/server/access-groups/policy/schemas";

/**
 * A session request (server/sessions/start.ts) is an ordinary request for the privileges its
 * access group's session settings name, bound to that group; the session row is written in the
 * request's transaction.
 */
export interface SessionSubmission {
  groupId: string;
  /** The session's device: the account is checked as used there (the criteria's device fields). */
  deviceName: string;
  privilegeIds: string[];
  onWritten: (tx: Transaction, requestId: string, granted: boolean, group: AccessGroupPolicy) => Promise<void>;
}
