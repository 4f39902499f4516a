export type ActivationState = "active" | "pending" | "suspended";

const LABEL: Record<ActivationState, string> = { active: "Active", pending: "Pending", suspended: "Suspended" };

// Same look as StateBadge, whose states are a grant's; these are a member's.
const TONE: Record<ActivationState, string> = {
  active: "bg-emerald-50 text-emerald-800 ring-emerald-600/30",
  pending: "bg-amber-50 text-amber-800 ring-amber-600/30",
  suspended: "bg-slate-100 text-slate-700 ring-slate-500/30",
};

export function ActivationBadge({ state }: { state: ActivationState }) {
  return (
    <span className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset ${TONE[state]}`}>
      <span aria-hidden="true" className="size-1.5 rounded-full bg-current" />
      {LABEL[state]}
    </span>
  );
}
