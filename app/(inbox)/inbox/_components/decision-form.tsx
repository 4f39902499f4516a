"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { describeError, errorCode, useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { TextAreaField, TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes } from "@/components/time";
import { decideInput } from "@/server/approvals/schemas";
import type { InboxItem } from "./approval-card";

export type DecideResult = RouterOutputs["approvals"]["decide"];
type Decision = "approve" | "deny";

// The server's rules for the comment and the duration, with the bound this request allows.
function schemaFor(max: number) {
  return z.object({
    comment: decideInput.shape.comment,
    // Empty keeps the duration as it stands.
    shortenTo: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? null : v),
      z.coerce
        .number({ error: "Enter a number of minutes" })
        .int("Whole minutes only")
        .min(1, "At least 1 minute")
        .max(max, `At most ${max} minutes: approvers can shorten, not lengthen`)
        .nullable(),
    ),
  });
}
type Schema = ReturnType<typeof schemaFor>;

/** Errors after which the request is no longer this approver's to decide: the inbox is refreshed. */
function requestMovedOn(err: unknown): boolean {
  const code = errorCode(err);
  return code === "CONFLICT" || code === "FORBIDDEN" || code === "NOT_FOUND";
}

interface DecisionFormProps {
  item: InboxItem;
  onDecided: (result: DecideResult) => void;
  /** The request was decided elsewhere, cancelled or expired: the card is about to leave the list. */
  onGone: (message: string) => void;
}

export function DecisionForm({ item, onDecided, onGone }: DecisionFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const current = item.approvedDurationMinutes ?? item.durationMinutes;
  const schema = useMemo(() => schemaFor(current), [current]);
  const {
    register,
    trigger,
    getValues,
    setError,
    clearErrors,
    formState: { errors },
  } = useForm<z.input<Schema>, unknown, z.output<Schema>>({
    resolver: zodResolver(schema),
    defaultValues: { comment: "", shortenTo: "" },
  });
  const [problem, setProblem] = useState<string | null>(null);
  // Once decided, the buttons go: the card leaves the list on the refresh, and a second tap meanwhile would only conflict.
  const [recorded, setRecorded] = useState(false);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.approvals.inbox.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.approvals.history.queryKey() }),
    ]);
  const decide = useMutation(trpc.approvals.decide.mutationOptions());

  const run = (decision: Decision) => async () => {
    setProblem(null);
    clearErrors();
    // A denial does not need a valid duration: only the comment is checked then.
    const valid = await trigger(decision === "approve" ? ["comment", "shortenTo"] : ["comment"], { shouldFocus: true });
    // Throwing keeps the confirm step open (components/confirm-button.tsx).
    if (!valid) throw new Error("invalid");
    const comment = schema.shape.comment.parse(getValues("comment"));
    const durationMinutes = decision === "approve" ? schema.shape.shortenTo.parse(getValues("shortenTo")) : null;
    try {
      const result = await decide.mutateAsync({ requestId: item.requestId, decision, comment, durationMinutes });
      setRecorded(true);
      onDecided(result);
    } catch (err) {
      if (requestMovedOn(err)) {
        onGone(describeError(err).message);
      } else {
        const { message, fieldErrors } = describeError(err);
        const commentError = fieldErrors?.comment?.[0];
        const durationError = fieldErrors?.durationMinutes?.[0];
        if (commentError) setError("comment", { type: "server", message: commentError });
        if (durationError) setError("shortenTo", { type: "server", message: durationError });
        setProblem(commentError || durationError ? "Check the highlighted fields." : message);
      }
      throw err;
    } finally {
      void refresh();
    }
  };

  const deciding = (decision: Decision) => decide.isPending && decide.variables?.decision === decision;

  return (
    <fieldset className="mt-4 space-y-3 border-t border-slate-100 pt-4">
      <legend className="sr-only">
        Your decision on {item.privilege} for {item.requester}
      </legend>
      <TextAreaField
        id={`${id}-comment`}
        label="Comment (optional)"
        rows={2}
        maxLength={1000}
        hint="Recorded with your decision in the audit trail."
        error={errors.comment?.message}
        disabled={recorded}
        {...register("comment")}
      />
      <TextField
        id={`${id}-shorten`}
        label="Shorten to (minutes)"
        type="number"
        inputMode="numeric"
        min={1}
        max={current}
        step={1}
        hint={`Optional: 1 to ${current}. Leave empty to approve the ${formatMinutes(current)} as they stand.`}
        error={errors.shortenTo?.message}
        disabled={recorded}
        {...register("shortenTo")}
      />
      {problem && <ErrorAlert>{problem}</ErrorAlert>}
      {recorded ? (
        <p className="text-sm text-slate-600">Decision recorded; updating the list…</p>
      ) : (
        <div className="flex flex-wrap gap-2">
          <ConfirmButton
            label="Approve"
            confirmLabel="Confirm approve"
            pendingLabel="Approving…"
            variant="primary"
            pending={deciding("approve")}
            disabled={decide.isPending}
            onConfirm={run("approve")}
          />
          <ConfirmButton
            label="Deny"
            confirmLabel="Confirm deny"
            pendingLabel="Denying…"
            pending={deciding("deny")}
            disabled={decide.isPending}
            onConfirm={run("deny")}
          />
        </div>
      )}
    </fieldset>
  );
}
