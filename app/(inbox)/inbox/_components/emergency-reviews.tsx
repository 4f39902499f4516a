"use client";

import { useId, useState } from "react";
import { callMutation } from "@/trpc/call";
import { describeError } from "@/trpc/errors";
import { invalidate, useCallQuery } from "@/trpc/use-call-query";
import { ErrorAlert, QueryError } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { TextAreaField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes, formatWhen } from "@/components/time";

export type Emergency = RouterOutputs["approvals"]["emergencies"][number];

/**
 * Emergency access was granted without waiting; the group's approvers look at it afterwards.
 * The section only appears while something waits for review.
 */
export function EmergencyReviews({ initial }: { initial?: Emergency[] }) {
  const emergencies = useCallQuery("approvals.emergencies", { initialData: initial, refetchInterval: 10_000 });
  if (emergencies.isError) return <QueryError message={describeError(emergencies.error).message} onRetry={emergencies.refetch} />;
  if (!emergencies.data?.length) return null;
  return (
    <section aria-labelledby="emergency-heading">
      <h2 id="emergency-heading" className="mb-3 text-lg font-semibold text-red-800">
        Emergency access to review
      </h2>
      <ul className="space-y-3">
        {emergencies.data.map((e) => (
          <EmergencyCard key={e.requestId} emergency={e} />
        ))}
      </ul>
    </section>
  );
}

function EmergencyCard({ emergency: e }: { emergency: Emergency }) {
  const id = useId();
  const [comment, setComment] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const review = async () => {
    setPending(true);
    setError(null);
    try {
      await callMutation("approvals.review", { requestId: e.requestId, comment });
      invalidate("approvals.emergencies");
    } catch (err) {
      setError(err);
      throw err;
    } finally {
      setPending(false);
    }
  };
  return (
    <li aria-label={`Emergency ${e.requester} ${e.privilege}`} className="rounded-lg border border-red-200 bg-white p-4 shadow-sm">
      <p className="font-semibold text-slate-900">
        {e.requesterName} ({e.requester}) — {e.privilege}
        {e.account ? ` for ${e.account}` : ""}
      </p>
      <p className="text-xs text-slate-500">
        {formatMinutes(e.durationMinutes)} · granted {formatWhen(e.requestedAt)} · {e.accessGroup}
      </p>
      <p className="mt-2 text-sm break-words text-slate-700">“{e.justification}”</p>
      <div className="mt-3 space-y-3">
        <TextAreaField id={`${id}-comment`} label="Review comment (optional)" rows={2} value={comment} onChange={(ev) => setComment(ev.target.value)} />
        <ConfirmButton label="Mark reviewed" confirmLabel="Confirm reviewed" pendingLabel="Saving…" pending={pending} onConfirm={review} />
        {error !== null && <ErrorAlert>{describeError(error).message}</ErrorAlert>}
      </div>
    </li>
  );
}
