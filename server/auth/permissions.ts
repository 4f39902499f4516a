import "server-only";
import { forbidden } from "@/server/errors";

/** The signed-in person as every service sees them. */
export interface SessionUser {
  id: string;
  username: string;
  dn: string;
  displayName: string;
  isAdmin: boolean;
}

export type Action = "read" | "manage" | "request" | "approve" | "revoke" | "end" | "extend";
export type Subject = "Privilege" | "Request" | "Grant" | "Audit" | "Directory" | "AccessGroup" | "Catalog" | "Session" | "DeviceSession" | "ApiToken";

interface Owned {
  userId: string;
}

/**
 * The permission matrix, small enough to read at a glance. `resource` lets a rule look at the
 * row (ownership); rules without one are about the kind of thing.
 */
const rules: Record<Subject, Partial<Record<Action, (u: SessionUser, r?: Owned) => boolean>>> = {
  Privilege: { read: () => true, request: () => true, manage: (u) => u.isAdmin },
  // Approving is open to any signed-in person at the service level: whether they are an approver
  // of the request's current level is decided per request against its frozen policy.
  Request: { read: (u, r) => u.isAdmin || r?.userId === u.id, manage: (u) => u.isAdmin, approve: () => true },
  Grant: {
    read: (u, r) => u.isAdmin || r?.userId === u.id,
    end: (u, r) => r?.userId === u.id || u.isAdmin,
    // Only the holder asks for more time (through the group's approval rule).
    extend: (u, r) => r?.userId === u.id,
    revoke: (u) => u.isAdmin,
  },
  Audit: { read: (u) => u.isAdmin },
  Directory: { read: (u) => u.isAdmin, manage: (u) => u.isAdmin },
  AccessGroup: { read: (u) => u.isAdmin, manage: (u) => u.isAdmin },
  Catalog: { read: (u) => u.isAdmin, manage: (u) => u.isAdmin },
  // Other people's sign-in sessions: admins list and end them.
  Session: { read: (u) => u.isAdmin, manage: (u) => u.isAdmin },
  // REST API tokens (server/api/tokens): admins create, list and revoke them.
  ApiToken: { read: (u) => u.isAdmin, manage: (u) => u.isAdmin },
  // Recorded sessions on devices: anyone may ask for one (their access groups decide); the holder
  // or an admin ends it; reading others' recordings is for admins and, per session, the approvers
  // of its access group (checked in server/sessions/access.ts).
  DeviceSession: {
    request: () => true,
    read: (u, r) => u.isAdmin || r?.userId === u.id,
    end: (u, r) => r?.userId === u.id || u.isAdmin,
    manage: (u) => u.isAdmin,
  },
};

export function can(user: SessionUser, action: Action, subject: Subject, resource?: Owned): boolean {
  return rules[subject][action]?.(user, resource) ?? false;
}

/** Services call this again even though procedures already did: the worker and scripts bypass tRPC. */
export function assertCan(user: SessionUser, action: Action, subject: Subject, resource?: Owned): void {
  if (!can(user, action, subject, resource)) {
    throw forbidden(`You may not ${action} this ${subject.toLowerCase()}.`);
  }
}

/**
 * The worker acting on nobody's behalf where a service wants a person (offboarding ends a departed
 * account's grants through the ordinary revoke path). Its empty id is stored as "nobody" (null).
 */
export const SYSTEM_REVOKER: SessionUser = { id: "", username: "interim-worker", dn: "", displayName: "Interim worker", isAdmin: true };
