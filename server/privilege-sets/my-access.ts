import "server-only";
/*
 * My access shows a set request as one row: the set's name, one state for the whole set and, inside,
 * each privilege with its own state. Pure, so that the folding is unit-tested.
 */

import { isLiveState, type GrantState } from "@/server/grants/states";

/** The columns of one request-and-grant row that differ between the grants of a set. */
export interface GrantColumns {
  requestId: string;
  privilege: string;
  privilegeSet: string | null;
  grantId: string | null;
  grantPrivilege: string | null;
  grantState: GrantState | null;
  activatedAt: Date | null;
  expiresAt: Date | null;
  removedAt: Date | null;
  endReason: "expired" | "revoked" | "ended_early" | null;
  lastError: string | null;
  attempts: number | null;
  allowExtension: boolean;
}

export interface SetGrant {
  grantId: string;
  privilege: string;
  state: GrantState;
  lastError: string | null;
}

/**
 * The state of a set as a whole: failed if any grant failed; otherwise still coming while any grant
 * is on its way in, active once all are, removing while any is going, and ended when all have.
 */
export function setState(states: readonly GrantState[]): GrantState {
  if (states.includes("failed")) return "failed";
  if (states.includes("provisioning")) return "provisioning";
  if (states.includes("pending")) return states.some((s) => s !== "pending") ? "provisioning" : "pending";
  if (states.includes("expiring")) return "expiring";
  // In the directory, not yet everywhere: the set is not fully usable until every grant is.
  if (states.includes("replicating")) return "replicating";
  // Siblings activated at different times end at different times: while one still holds access the set is active.
  if (states.includes("active")) return "active";
  return states.includes("revoked") ? "revoked" : "expired";
}

const latest = (dates: (Date | null)[]) => dates.reduce<Date | null>((a, d) => (d && (!a || d > a) ? d : a), null);
const earliest = (dates: (Date | null)[]) => dates.reduce<Date | null>((a, d) => (d && (!a || d < a) ? d : a), null);

/**
 * Folds the rows of each set request (one per grant) into one row named after the set, keeping
 * the order of first appearance; single-privilege rows pass through with no set grants.
 */
export function foldSetRequests<R extends GrantColumns>(rows: readonly R[]): (R & { setGrants: SetGrant[] })[] {
  const out: (R & { setGrants: SetGrant[] })[] = [];
  const bySet = new Map<string, R[]>();
  for (const row of rows) {
    if (row.privilegeSet === null) {
      out.push({ ...row, setGrants: [] });
      continue;
    }
    const same = bySet.get(row.requestId);
    if (same) {
      same.push(row);
      continue;
    }
    bySet.set(row.requestId, [row]);
    out.push({ ...row, setGrants: [] });
  }
  return out.map((row) => {
    const members = bySet.get(row.requestId);
    if (!members) return row;
    const withGrant = members.filter((m) => m.grantId !== null).sort((a, b) => (a.grantPrivilege ?? "").localeCompare(b.grantPrivilege ?? ""));
    if (withGrant.length === 0) return { ...row, privilege: row.privilegeSet!, allowExtension: false };
    const states = withGrant.map((m) => m.grantState!);
    return {
      ...row,
      privilege: row.privilegeSet!,
      // Ending any grant of the set ends the set: a live one stands for it (ending an ended one is refused).
      grantId: (withGrant.find((m) => isLiveState(m.grantState)) ?? withGrant[0]!).grantId,
      grantState: setState(states),
      activatedAt: withGrant.every((m) => m.activatedAt) ? latest(withGrant.map((m) => m.activatedAt)) : earliest(withGrant.map((m) => m.activatedAt)),
      // The next end that still matters: the earliest among those still live.
      expiresAt: earliest(
        (withGrant.some((m) => isLiveState(m.grantState)) ? withGrant.filter((m) => isLiveState(m.grantState)) : withGrant).map((m) => m.expiresAt),
      ),
      removedAt: withGrant.every((m) => m.removedAt) ? latest(withGrant.map((m) => m.removedAt)) : null,
      endReason: withGrant.find((m) => m.endReason)?.endReason ?? null,
      lastError: withGrant.find((m) => m.grantState === "failed")?.lastError ?? withGrant.find((m) => m.lastError)?.lastError ?? null,
      attempts: Math.max(...withGrant.map((m) => m.attempts ?? 0)),
      // A set is extended by asking for it again (server/grants/extend.ts).
      allowExtension: false,
      setGrants: withGrant.map((m) => ({ grantId: m.grantId!, privilege: m.grantPrivilege ?? m.privilege, state: m.grantState!, lastError: m.lastError })),
    };
  });
}
