import type { grantState } from "@/db/schema/grants";

/*
 * The grant state machine, as data. Pure, with no runtime import (only the DB enum's type), so that
 * client components may import its constants: the table below is the one place that says which
 * state follows which, and every set of states the code and its SQL use is derived from it.
 *
 *   pending ─claim─▶ provisioning ─write─▶ replicating ─settled─▶ active ─due─▶ expiring ─▶ expired | revoked
 *      └─cancel─▶ revoked      │ └─write (one DC)──────────────────────▲          ▲
 *                              └─error─▶ pending (retry) | failed | revoked       replicating ─due─┘
 */

/** The states of the `grant_state` enum (db/schema/grants.ts). */
export type GrantState = (typeof grantState.enumValues)[number];

/**
 * Every transition the code performs, from → allowed next states. A Record over the enum's type: a
 * state added to the enum does not compile until it has its row here.
 */
export const GRANT_TRANSITIONS = {
  // The activation claims it; a revoke, a set's rollback or a window that closed first cancels it.
  pending: ["provisioning", "revoked"],
  // Written: replicating (other DCs to wait for) or active. Failed attempt: back to pending for a
  // retry, failed for good, or revoked when an end was requested meanwhile. A lapsed provisioning
  // lease is claimed again (provisioning → provisioning).
  provisioning: ["provisioning", "replicating", "active", "pending", "failed", "revoked"],
  // Every DC has it (or the settings count it so) → active; due while still replicating → expiring.
  replicating: ["active", "expiring"],
  active: ["expiring"],
  // The removal lease: done → expired, or revoked when an end was requested; a lapsed lease is retaken.
  expiring: ["expiring", "expired", "revoked"],
  expired: [],
  revoked: [],
  failed: [],
} as const satisfies Record<GrantState, readonly GrantState[]>;

/** Every grant starts here (the column's default); creating a grant queues its activation. */
export const INITIAL_GRANT_STATE = "pending" satisfies GrantState;

/** The enum's states, in its order. */
export const GRANT_STATES = Object.keys(GRANT_TRANSITIONS) as GrantState[];

const where = <S extends GrantState>(keep: (s: GrantState) => boolean) => GRANT_STATES.filter(keep) as S[];
const isTerminal = (s: GrantState) => GRANT_TRANSITIONS[s].length === 0;

/** Terminal: nothing follows (expired, revoked, failed). */
export const ENDED_GRANT_STATES: readonly GrantState[] = where(isTerminal);

/** States in which a grant holds, or is about to hold, access: every state with a way out. */
export const LIVE_GRANT_STATES: readonly GrantState[] = where((s) => !isTerminal(s));

/** The membership is in the directory and not being removed yet (active, or still replicating). */
export const IN_DIRECTORY_STATES = ["replicating", "active"] as const satisfies readonly GrantState[];

/** Being removed: the sweep holds a lease on it. */
export const REMOVING_STATE = "expiring" satisfies GrantState;

/** Live and not yet being removed: what an end (a revoke, a set's rollback) can still act on. */
export const ENDABLE_GRANT_STATES: readonly GrantState[] = LIVE_GRANT_STATES.filter((s) => s !== REMOVING_STATE);

/** Due grants the sweep claims: the states that lead to `expiring`, besides a lapsed lease on it. */
export const DUE_STATES: readonly GrantState[] = where((s) => s !== REMOVING_STATE && (GRANT_TRANSITIONS[s] as readonly GrantState[]).includes(REMOVING_STATE));

/** Ended by a removal or a cancellation, not a failure: the ones whose removal may still be spreading. */
export const REMOVED_STATES: readonly GrantState[] = ENDED_GRANT_STATES.filter((s) => s !== "failed");

/** Live, but on the way in or out (the badge pulses): everything live except active. */
export const TRANSIENT_STATES: readonly GrantState[] = LIVE_GRANT_STATES.filter((s) => s !== "active");

export function isLiveState(state: GrantState | string | null | undefined): boolean {
  return state != null && (LIVE_GRANT_STATES as readonly string[]).includes(state);
}

export function isEndedState(state: GrantState | string): boolean {
  return (ENDED_GRANT_STATES as readonly string[]).includes(state);
}

export function isInDirectory(state: GrantState | string): boolean {
  return (IN_DIRECTORY_STATES as readonly string[]).includes(state);
}

export function canTransition(from: GrantState, to: GrantState): boolean {
  return (GRANT_TRANSITIONS[from] as readonly GrantState[]).includes(to);
}

export class IllegalGrantTransition extends Error {
  override readonly name = "IllegalGrantTransition";
  constructor(
    readonly from: GrantState,
    readonly to: GrantState,
  ) {
    super(`A grant cannot go from ${from} to ${to}.`);
  }
}

/**
 * The one check every state change goes through (the writers' SQL guards are built from it too, see
 * state-sql.ts): a transition the table does not have is a bug, refused before anything is written.
 */
export function assertTransition(from: GrantState | readonly GrantState[], to: GrantState): void {
  for (const f of typeof from === "string" ? [from] : from) {
    if (!canTransition(f, to)) throw new IllegalGrantTransition(f, to);
  }
}
