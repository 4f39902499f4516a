import "server-only";
import { normalizeLogin, type GroupMember } from "@/server/directory/service";
import { isEndedState, isLiveState } from "@/server/grants/states";
import type { MemberDetails } from "./directory";

/*
 * Drift, as pure rules: which members of a managed group no grant explains, and which of those
 * the reconcile may take out on its own.
 */

export type DriftKind = "standing" | "outlived";
export type DriftAction = "alert" | "remove";

export interface GrantFact {
  id: string;
  memberGuid: string;
  state: string;
  preExisting: boolean;
  /** Activation attempts: 0 means the grant never tried to add the member (revoked while pending, window closed, scheduled and cancelled). */
  attempts: number;
}

export interface Unexplained {
  member: GroupMember;
  kind: DriftKind;
  /** The member's latest grant on this group, if any. */
  lastGrantId: string | null;
}

/**
 * Sorts the group's direct members by what explains them. `grants` are the group's grants oldest
 * first (without grants scheduled for later: they explain nothing today).
 * - explained: a live grant holds the membership (even one that found the member already there);
 * - outlived: the latest grant ended and the member was not there before it;
 * - standing: everything else — added by hand, or there before a grant that has since ended.
 */
export function classifyMembers(members: readonly GroupMember[], grants: readonly GrantFact[]): { explained: Set<string>; unexplained: Unexplained[] } {
  const live = new Set<string>();
  const latest = new Map<string, GrantFact>();
  for (const g of grants) {
    const guid = g.memberGuid.toLowerCase();
    if (isLiveState(g.state)) live.add(guid);
    latest.set(guid, g);
  }
  const explained = new Set<string>();
  const unexplained: Unexplained[] = [];
  for (const member of members) {
    const guid = member.guid.toLowerCase();
    if (live.has(guid)) {
      explained.add(guid);
      continue;
    }
    const last = latest.get(guid);
    // Outlived only when the last grant tried to add the member (an add may reach the DC even when
    // the attempt errors) and the membership was not there before it. A grant that never touched
    // AD explains nothing: an accepted standing member who asked and cancelled stays standing.
    const outlived = last !== undefined && isEndedState(last.state) && !last.preExisting && last.attempts > 0;
    unexplained.push({ member, kind: outlived ? "outlived" : "standing", lastGrantId: last?.id ?? null });
  }
  return { explained, unexplained };
}

/** True when `member` is the account Interim binds as (LDAP_BIND_DN may be a DN, a UPN or DOMAIN\name). */
export function isServiceAccount(memberDn: string, details: Pick<MemberDetails, "sam" | "upn">, bindDn: string): boolean {
  if (bindDn.includes("=")) return sameDn(memberDn, bindDn);
  const { sam, upn } = normalizeLogin(bindDn);
  if (upn && details.upn?.toLowerCase() === upn.toLowerCase()) return true;
  return details.sam !== null && details.sam === sam.toLowerCase();
}

function sameDn(a: string, b: string): boolean {
  const norm = (dn: string) =>
    dn
      .split(",")
      .map((rdn) => rdn.trim())
      .join(",")
      .toLowerCase();
  return norm(a) === norm(b);
}

/**
 * Why a standing member is never removed automatically, or null when it may be. An admin can
 * still remove it from the dashboard.
 */
export function protectionNote(memberDn: string, details: MemberDetails, bindDn: string): string | null {
  if (details.memberClass === "group") return "A nested group: never removed automatically, nesting may be deliberate.";
  if (details.memberClass === "unknown") return "Interim could not read this member, so it is never removed automatically.";
  // Foreign security principals (which may stand for a group of a trusted forest), contacts, …
  if (details.memberClass === "other")
    return "Not a user or computer (a foreign security principal may stand for a whole group of a trusted forest): never removed automatically.";
  if (isServiceAccount(memberDn, details, bindDn)) return "Interim's service account: never removed automatically.";
  return null;
}

/** Kept in the finding's note when a group's standing members are held back as a whole. */
export const GRANTS_ADMIN_NOTE = "This group now grants Interim administration: standing members are not removed automatically.";

/** The CN of a DN, for members the directory would not name. */
export function cnOf(dn: string): string {
  const m = /^CN=((?:\\.|[^,])+)/i.exec(dn);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : dn;
}
