import { isLiveState, TRANSIENT_STATES, type GrantState } from "@/server/grants/states";

// The states, their sets and their type come from the one state machine (server/grants/states.ts,
// a module without runtime imports, so that client components may use it).
export type { GrantState };

export const GRANT_STATE_LABEL: Record<GrantState, string> = {
  pending: "Pending",
  provisioning: "Provisioning",
  replicating: "Replicating",
  active: "Active",
  expiring: "Removing",
  expired: "Expired",
  revoked: "Revoked",
  failed: "Failed",
};

const tone: Record<GrantState, string> = {
  pending: "bg-amber-50 text-amber-800 ring-amber-600/30",
  provisioning: "bg-sky-50 text-sky-800 ring-sky-600/30",
  replicating: "bg-sky-50 text-sky-800 ring-sky-600/30",
  active: "bg-emerald-50 text-emerald-800 ring-emerald-600/30",
  expiring: "bg-violet-50 text-violet-800 ring-violet-600/30",
  expired: "bg-slate-100 text-slate-700 ring-slate-500/30",
  revoked: "bg-slate-100 text-slate-700 ring-slate-500/30",
  failed: "bg-red-50 text-red-800 ring-red-600/30",
};

/** Whether a grant in this state holds, or is about to hold, access. */
export function isLive(state: GrantState | null | undefined): boolean {
  return isLiveState(state);
}

export function StateBadge({ state }: { state: GrantState }) {
  // On its way in or out: the dot pulses.
  const live = TRANSIENT_STATES.includes(state);
  return (
    <span className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset ${tone[state]}`}>
      <span aria-hidden="true" className={`size-1.5 rounded-full bg-current ${live ? "animate-pulse" : ""}`} />
      {GRANT_STATE_LABEL[state]}
    </span>
  );
}

/** A neutral pill for values that are not grant states (on/off, yes/no). */
export function Pill({ on, children }: { on: boolean; children: React.ReactNode }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${
        on ? "bg-emerald-50 text-emerald-800 ring-emerald-600/30" : "bg-slate-100 text-slate-700 ring-slate-500/30"
      }`}
    >
      {children}
    </span>
  );
}
