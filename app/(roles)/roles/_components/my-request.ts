import type { RouterOutputs } from "@/components/router-types";

export type MyRequest = RouterOutputs["requests"]["mine"][number];

/** The element id a link (`/roles?request=<id>`, `/roles?extend=<grantId>`) scrolls to. */
export function rowId(requestId: string): string {
  return `access-${requestId}`;
}

/** A grant waiting for its start time (approved, not yet activated). */
export function isScheduled(r: MyRequest): boolean {
  return r.grantState === "pending" && r.startsAt !== null && r.activatedAt === null && !r.endReason;
}
