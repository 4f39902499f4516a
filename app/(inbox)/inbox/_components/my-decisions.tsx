"use client";

import { describeError } from "@/trpc/errors";
import { useCallQuery } from "@/trpc/use-call-query";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes, formatWhen } from "@/components/time";

export type PastDecision = RouterOutputs["approvals"]["history"][number];

const REQUEST_NOW: Record<PastDecision["status"], string> = {
  pending: "still waiting for a decision",
  approved: "approved",
  denied: "denied",
  cancelled: "cancelled by the requester",
  failed: "failed",
  expired: "expired undecided",
};

function DecisionBadge({ decision }: { decision: PastDecision["decision"] }) {
  const approved = decision === "approve";
  return (
    <span
      className={`inline-flex shrink-0 items-center rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset ${
        approved ? "bg-emerald-50 text-emerald-800 ring-emerald-600/30" : "bg-red-50 text-red-800 ring-red-600/30"
      }`}
    >
      {approved ? "Approved" : "Denied"}
    </span>
  );
}

export function MyDecisions({ initial }: { initial?: PastDecision[] }) {
  const history = useCallQuery("approvals.history", { initialData: initial });

  return (
    <section aria-labelledby="decisions-heading">
      <h2 id="decisions-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Your decisions
      </h2>
      {history.isError ? (
        <QueryError message={describeError(history.error).message} onRetry={history.refetch} />
      ) : !history.data ? (
        <Loading label="Loading your decisions…" />
      ) : history.data.length === 0 ? (
        <EmptyState title="You have not decided on any request yet">Your approvals and denials are listed here, newest first.</EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {history.data.map((d) => (
            // One decision per approver and level of a request.
            <li key={`${d.requestId}-${d.level}`} aria-label={`${d.requester} ${d.privilege} level ${d.level}`} className="px-4 py-3">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <p className="min-w-0 font-medium break-words text-slate-900">
                  {d.privilege} <span className="font-normal text-slate-600">for {d.requester}</span>
                </p>
                <DecisionBadge decision={d.decision} />
              </div>
              <p className="mt-0.5 text-xs text-slate-600">
                Level {d.level} · {formatWhen(d.decidedAt)}
                {d.durationMinutes !== null ? ` · shortened to ${formatMinutes(d.durationMinutes)}` : ""} · request {REQUEST_NOW[d.status]}
              </p>
              {d.comment && <p className="mt-1 text-sm break-words text-slate-700">“{d.comment}”</p>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
