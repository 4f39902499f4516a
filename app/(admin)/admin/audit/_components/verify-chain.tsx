"use client";

import { useMutation } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime } from "@/components/time";

type Problem = RouterOutputs["audit"]["verify"]["problems"][number];
type Checkpoints = RouterOutputs["audit"]["verify"]["checkpoints"];

function describeProblem(p: Problem): string {
  switch (p.kind) {
    case "gap":
      return `Event #${p.seq}: expected #${p.expectedSeq} here — events are missing.`;
    case "broken-link":
      return `Event #${p.seq}: does not point at the event before it — an event was removed or reordered.`;
    case "hash-mismatch":
      return `Event #${p.seq}: its content does not match its hash — it was edited.`;
  }
}

export function VerifyChain() {
  const trpc = useTRPC();
  const verify = useMutation(trpc.audit.verify.mutationOptions());
  const result = verify.data;

  return (
    <div className="flex w-full max-w-md flex-col items-stretch gap-2 sm:items-end">
      <Button variant="secondary" className="self-start sm:self-end" pending={verify.isPending} onClick={() => verify.mutate()}>
        {verify.isPending ? "Verifying…" : "Verify chain"}
      </Button>
      {verify.isError && <ErrorAlert>{describeError(verify.error).message}</ErrorAlert>}
      {result && !verify.isPending && result.problems.length === 0 && <SuccessNote>Chain intact — {result.checked} events checked</SuccessNote>}
      {result && !verify.isPending && <CheckpointsResult checkpoints={result.checkpoints} />}
      {result && !verify.isPending && result.problems.length > 0 && (
        <ErrorAlert>
          <p className="font-medium">
            Chain broken — {result.problems.length} {result.problems.length === 1 ? "problem" : "problems"} found in {result.checked} events
          </p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5">
            {result.problems.slice(0, 20).map((p, i) => (
              <li key={`${p.seq}-${p.kind}-${i}`}>{describeProblem(p)}</li>
            ))}
          </ul>
          {result.problems.length > 20 && <p className="mt-1">…and {result.problems.length - 20} more.</p>}
        </ErrorAlert>
      )}
    </div>
  );
}

/** The signed checkpoints (issue 16): how many, the newest, and any that no longer match the trail. */
function CheckpointsResult({ checkpoints: c }: { checkpoints: Checkpoints }) {
  const unsigned = c.signaturesChecked ? "" : " (signatures not checked: this server has no audit key)";
  if (c.problems.length > 0) {
    // "checkpoint file not checked" / "signatures not checked" alone: nothing disagrees, but the check is incomplete.
    const title = c.problems.every((p) => p.kind.endsWith("-not-checked")) ? "Checkpoints not fully checked" : "Checkpoints broken";
    return (
      <ErrorAlert>
        <p className="font-medium">
          {title} — {c.problems.length} {c.problems.length === 1 ? "problem" : "problems"} in {c.count} checkpoints{unsigned}
        </p>
        <ul className="mt-1 list-disc space-y-0.5 pl-5">
          {c.problems.slice(0, 20).map((p, i) => (
            <li key={`${p.kind}-${i}`}>{p.text}</li>
          ))}
        </ul>
        {c.problems.length > 20 && <p className="mt-1">…and {c.problems.length - 20} more.</p>}
      </ErrorAlert>
    );
  }
  if (c.count === 0) return <p className="text-sm text-slate-600">No signed checkpoints yet: the worker writes one every minute while events are added.</p>;
  return (
    <SuccessNote>
      {c.count} {c.count === 1 ? "checkpoint agrees" : "checkpoints agree"} with the trail — the newest covers event #{c.newest?.seq}, signed{" "}
      {c.newest ? formatDateTime(c.newest.at) : ""}
      {unsigned}
    </SuccessNote>
  );
}
