import "server-only";
import type { NotificationEvent, WebhookKind } from "./schemas";

/**
 * Everything a message about one event says, gathered by the dispatcher when it fans an event
 * out to its recipients. Renderers (render.ts) turn it into mail and webhook payloads; they do
 * no I/O, so every format is unit-tested.
 */
export interface NotificationFacts {
  event: NotificationEvent;
  /** ISO time the event happened. */
  occurredAt: string;
  requestId: string;
  grantId: string | null;
  /** "access" for a request for access, "extension" for a request to extend an active grant. */
  requestKind: "access" | "extension";
  requester: { username: string; displayName: string };
  privilege: string;
  /** The AD group of the privilege. */
  groupDn: string;
  /** The privileged account elevated instead of the requester's own, if any. */
  account: string | null;
  accessGroup: string | null;
  durationMinutes: number;
  justification: string;
  changeId: string | null;
  governanceCode: string | null;
  emergency: boolean;
  outsideUsualHours: boolean;
  /** Where an approval stands: level `current` of `of` (null when no approval is involved). */
  level: { current: number; of: number } | null;
  /** The approver's comment (denial), or why it ended. */
  comment: string | null;
  /** Who acted (approver, admin), when a person did. */
  actor: string | null;
  startsAt: string | null;
  expiresAt: string | null;
  /** The error of a failed activation. */
  error: string | null;
  /** The access group's IANA time zone, for times shown to people. */
  timeZone: string;
  links: {
    /** Opens the request's decision in the approver inbox. */
    decision: string;
    /** Opens My access with the extend form of the grant (only when the privilege allows extension). */
    extend: string | null;
    myAccess: string;
  };
}

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

export interface WebhookMessage {
  kind: WebhookKind;
  body: unknown;
}
