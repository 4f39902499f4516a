"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, QueryError } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { TextAreaField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes, formatWhen } from "@/components/time";

type Emergency = RouterOutputs["approvals"]["emergencies"][number];

/**
 * Emergency access was granted without waiting; the group's approvers look at it afterwards.
 * The section only appears while something waits for review.
 */
export function EmergencyReviews() {
  const trpc = useTRPC();
  const emergencies = useQuery({ ...trpc.approvals.emergencies.queryOptions(), refetchInterval: 10_000 });
  if (emergencies.isError) return <QueryError message={describeError(emergencies.error).message} onRetry={() => void emergencies.refetch()} />;
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
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [comment, setComment] = useState("");
  const review = useMutation(
    trpc.approvals.review.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.approvals.emergencies.queryKey() }),
    }),
  );
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
        <ConfirmButton
          label="Mark reviewed"
          confirmLabel="Confirm reviewed"
          pendingLabel="Saving…"
          pending={review.isPending}
          onConfirm={() => review.mutateAsync({ requestId: e.requestId, comment })}
        />
        {review.isError && <ErrorAlert>{describeError(review.error).message}</ErrorAlert>}
      </div>
    </li>
  );
}
