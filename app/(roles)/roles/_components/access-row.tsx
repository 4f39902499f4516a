"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { Countdown } from "@/components/countdown";
import type { RouterOutputs } from "@/components/router-types";
import { StateBadge, type GrantState } from "@/components/state-badge";
import { formatMinutes, formatWhen } from "@/components/time";
import { ProgressSteps } from "./progress-steps";

export type MyRequest = RouterOutputs["requests"]["mine"][number];

/** A request without a grant (never approved) still needs one of the grant badges. */
function displayState(r: MyRequest): GrantState {
  if (r.grantState) return r.grantState;
  if (r.status === "failed") return "failed";
  if (r.status === "denied" || r.status === "cancelled") return "revoked";
  if (r.status === "expired") return "expired";
  return "pending";
}

function outcome(r: MyRequest): string | null {
  if (r.status === "denied") return `Denied${r.decidedAt ? ` at ${formatWhen(r.decidedAt)}` : ""}${r.outcomeComment ? `: “${r.outcomeComment}”` : "."}`;
  if (r.status === "cancelled" && !r.grantId) return `You cancelled this request${r.decidedAt ? ` at ${formatWhen(r.decidedAt)}` : ""}.`;
  if (r.status === "expired") return "Nobody decided before the deadline; the request expired.";
  if (r.status === "pending" && !r.grantId) return `Waiting for approval${r.accessGroup ? ` (access group ${r.accessGroup})` : ""}.`;
  if (r.grantState === "revoked" && !r.activatedAt) return `Cancelled before access was granted${r.removedAt ? ` at ${formatWhen(r.removedAt)}` : ""}.`;
  if (r.endReason === "ended_early") return r.grantState === "revoked" ? `You ended this early at ${formatWhen(r.removedAt)}.` : "Ending now at your request…";
  if (r.endReason === "revoked") return r.grantState === "revoked" ? `Revoked by an administrator at ${formatWhen(r.removedAt)}.` : "Revoked by an administrator; removing now…";
  if (r.grantState === "expired") return `Expired and removed at ${formatWhen(r.removedAt)}.`;
  if (r.grantState === "failed") return "Interim could not add you to the group. Try again later or contact an administrator.";
  return null;
}

export function AccessRow({ request: r }: { request: MyRequest }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const endEarly = useMutation(
    trpc.grants.endEarly.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.requests.mine.queryKey() }),
    }),
  );

  const cancel = useMutation(
    trpc.approvals.cancel.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.requests.mine.queryKey() }),
    }),
  );

  const state = displayState(r);
  const ending = Boolean(r.endReason);
  const canEnd = r.grantId && !ending && (state === "active" || state === "pending" || state === "provisioning");
  const note = outcome(r);

  return (
    <li aria-label={r.privilege} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="font-semibold text-slate-900">{r.privilege}</h3>
          <p className="text-xs text-slate-500">
            {formatMinutes(r.durationMinutes)} · requested {formatWhen(r.requestedAt)}
            {r.account ? ` · for ${r.account}` : ""}
            {r.accessGroup ? ` · via ${r.accessGroup}` : ""}
          </p>
        </div>
        <StateBadge state={state} />
      </div>

      {r.justification && <p className="mt-2 text-sm break-words text-slate-600">“{r.justification}”</p>}

      <ProgressSteps request={r} />

      {(state === "active" || canEnd) && (
        <div className="mt-4 flex flex-wrap items-center justify-between gap-3">
          {state === "active" && r.expiresAt ? (
            <Countdown until={r.expiresAt} className="text-sm font-medium text-slate-800" />
          ) : (
            <span className="text-sm text-slate-500">Waiting for the directory…</span>
          )}
          {canEnd && (
            <ConfirmButton
              label="End now"
              confirmLabel="Confirm end now"
              pendingLabel="Ending…"
              pending={endEarly.isPending}
              onConfirm={() => endEarly.mutateAsync({ grantId: r.grantId! })}
            />
          )}
        </div>
      )}

      {r.status === "pending" && !r.grantId && (
        <div className="mt-4 flex justify-end">
          <ConfirmButton
            label="Cancel request"
            confirmLabel="Confirm cancel"
            pendingLabel="Cancelling…"
            pending={cancel.isPending}
            onConfirm={() => cancel.mutateAsync({ requestId: r.requestId })}
          />
        </div>
      )}

      {note && <p className="mt-3 text-sm text-slate-600">{note}</p>}
      {r.lastError && (
        <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm break-words text-amber-900">
          <span className="font-medium">Last error{(r.attempts ?? 0) > 1 ? ` (attempt ${r.attempts})` : ""}:</span> {r.lastError}
        </p>
      )}
      {endEarly.isError && <ErrorAlert className="mt-3">{describeError(endEarly.error).message}</ErrorAlert>}
      {cancel.isError && <ErrorAlert className="mt-3">{describeError(cancel.error).message}</ErrorAlert>}
    </li>
  );
}
