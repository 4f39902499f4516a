import { formatWhen } from "@/components/time";
import { isScheduled, removalPending, type MyRequest } from "./my-request";

type StepStatus = "done" | "current" | "upcoming" | "failed" | "skipped";
interface Step {
  name: string;
  status: StepStatus;
  at: Date | null;
}

const AFTER_ACTIVE = new Set(["active", "expiring", "expired", "revoked"]);

/**
 * Requested → Approved → Provisioning → Active → Removed, from the request and its grant.
 * Replicating (in AD, not yet on every DC) is still provisioning; a removal is done once every DC
 * has dropped the membership.
 */
export function stepsOf(r: MyRequest): Step[] {
  const g = r.grantState;
  const approved = r.status === "approved" || g !== null;
  const wasActive = r.activatedAt !== null;
  const cancelledEarly = g === "revoked" && !wasActive;
  // Approved for later: nothing moves until the start time, which the Active step shows.
  const scheduled = isScheduled(r);
  const provisioning: StepStatus =
    g === "failed"
      ? "failed"
      : scheduled
        ? "upcoming"
        : g === "pending" || g === "provisioning" || g === "replicating"
          ? "current"
          : cancelledEarly
            ? "skipped"
            : g && AFTER_ACTIVE.has(g)
              ? "done"
              : "upcoming";
  const active: StepStatus = g === "active" ? "current" : g === "replicating" ? "upcoming" : cancelledEarly ? "skipped" : wasActive ? "done" : "upcoming";
  const removed: StepStatus = g === "expiring" || removalPending(r) ? "current" : g === "expired" || g === "revoked" ? "done" : "upcoming";
  return [
    { name: "Requested", status: "done", at: r.requestedAt },
    // An automatic approval commits with the request, so it shares the request's time.
    { name: "Approved", status: approved ? "done" : r.status === "denied" ? "failed" : "current", at: approved ? (r.decidedAt ?? r.requestedAt) : null },
    { name: "Provisioning", status: approved ? provisioning : "upcoming", at: null },
    { name: "Active", status: active, at: g === "replicating" ? null : (r.activatedAt ?? (scheduled ? r.startsAt : null)) },
    { name: "Removed", status: removed, at: removalPending(r) ? null : r.removedAt },
  ];
}

const bar: Record<StepStatus, string> = {
  done: "border-emerald-500",
  current: "border-indigo-500",
  upcoming: "border-slate-200",
  failed: "border-red-500",
  skipped: "border-dashed border-slate-300",
};

const spoken: Record<StepStatus, string> = {
  done: "done",
  current: "in progress",
  upcoming: "not yet",
  failed: "failed",
  skipped: "skipped",
};

export function ProgressSteps({ request }: { request: MyRequest }) {
  return (
    <ol aria-label="Progress" className="mt-4 flex flex-col gap-1.5 sm:grid sm:grid-cols-5 sm:gap-2">
      {stepsOf(request).map((s) => (
        <li
          key={s.name}
          aria-current={s.status === "current" ? "step" : undefined}
          className={`flex items-baseline justify-between border-l-4 pl-2 sm:block sm:border-t-4 sm:border-l-0 sm:pt-1.5 sm:pl-0 ${bar[s.status]}`}
        >
          <span
            className={`block text-xs font-medium ${
              s.status === "upcoming" || s.status === "skipped" ? "text-slate-500" : s.status === "failed" ? "text-red-700" : "text-slate-800"
            }`}
          >
            {s.name}
            <span className="sr-only"> ({spoken[s.status]})</span>
          </span>
          <span className="block text-xs text-slate-500 tabular-nums">
            {s.at ? formatWhen(s.at) : s.status === "current" ? "now…" : s.status === "skipped" ? "skipped" : "\u00a0"}
          </span>
        </li>
      ))}
    </ol>
  );
}
