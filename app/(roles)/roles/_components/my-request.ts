import type { RouterOutputs } from "@/components/router-types";

export type MyRequest = RouterOutputs["requests"]["mine"]["live"][number];

/** The element id a link (`/roles?request=<id>`, `/roles?extend=<grantId>`) scrolls to. */
export function rowId(requestId: string): string {
  return `access-${requestId}`;
}

/** Removed from the DC Interim wrote to, still to be confirmed gone from the others. */
export function removalPending(r: MyRequest): boolean {
  return (r.grantState === "expired" || r.grantState === "revoked") && r.activatedAt !== null && r.removalVerifiedAt === null;
}

/** The DCs the grant's latest change (its add, then its removal) has not reached yet. */
export function waitingFor(r: MyRequest): string[] {
  if (!r.replication || r.replication.settled) return [];
  return r.replication.dcs.filter((d) => d.seenAt === null).map((d) => d.host);
}

/** DCs that never confirmed the add before the replication settings stopped waiting (a DC down). */
export function unconfirmedOn(r: MyRequest): string[] {
  return r.replication?.phase === "add" ? (r.replication.settled?.unconfirmed ?? []) : [];
}

/** "dc2.example.com" or "dc2.example.com and dc3.example.com"; "the other domain controllers" when unknown. */
export function dcList(hosts: string[]): string {
  if (hosts.length === 0) return "the other domain controllers";
  return hosts.length === 1 ? hosts[0]! : `${hosts.slice(0, -1).join(", ")} and ${hosts.at(-1)}`;
}

/** A grant waiting for its start time (approved, not yet activated). */
export function isScheduled(r: MyRequest): boolean {
  return r.grantState === "pending" && r.startsAt !== null && r.activatedAt === null && !r.endReason;
}
