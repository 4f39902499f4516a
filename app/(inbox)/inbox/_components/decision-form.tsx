"use client";

import { useId, useRef, useState } from "react";
import { callMutation } from "@/trpc/call";
import { describeError, errorCode } from "@/trpc/errors";
import { invalidate } from "@/trpc/use-call-query";
import { ErrorAlert } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { TextAreaField, TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes } from "@/components/time";
import type { InboxItem } from "./approval-card";
import { checkComment, checkShortenTo, type DecisionErrors } from "./decision-check";

export type DecideResult = RouterOutputs["approvals"]["decide"];
type Decision = "approve" | "deny";

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
  const id = useId();
  const current = item.approvedDurationMinutes ?? item.durationMinutes;
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const shortenRef = useRef<HTMLInputElement>(null);
  const [errors, setErrors] = useState<DecisionErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  // Once decided, the buttons go: the card leaves the list on the refresh, and a second tap meanwhile would only conflict.
  const [recorded, setRecorded] = useState(false);

  // The decision being sent, if any.
  const [pending, setPending] = useState<Decision | null>(null);

  const run = async (decision: Decision) => {
    setProblem(null);
    const { comment, error: commentError } = checkComment(commentRef.current?.value ?? "");
    // A denial does not need a valid duration: only the comment is checked then.
    const shorten = decision === "approve" ? checkShortenTo(shortenRef.current?.value ?? "", current) : { minutes: null };
    setErrors({ comment: commentError, shortenTo: shorten.error });
    if (commentError || shorten.error) {
      (commentError ? commentRef.current : shortenRef.current)?.focus();
      // Throwing keeps the confirm step open (components/confirm-button.tsx).
      throw new Error("invalid");
    }
    setPending(decision);
    try {
      const result = await callMutation("approvals.decide", { requestId: item.requestId, decision, comment, durationMinutes: shorten.minutes });
      setRecorded(true);
      onDecided(result);
    } catch (err) {
      if (requestMovedOn(err)) {
        onGone(describeError(err).message);
      } else {
        const { message, fieldErrors } = describeError(err);
        const serverComment = fieldErrors?.comment?.[0];
        const serverDuration = fieldErrors?.durationMinutes?.[0];
        setErrors({ comment: serverComment, shortenTo: serverDuration });
        setProblem(serverComment || serverDuration ? "Check the highlighted fields." : message);
      }
      throw err;
    } finally {
      setPending(null);
      invalidate("approvals.inbox", "approvals.history");
    }
  };

  const deciding = (decision: Decision) => pending === decision;

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
        error={errors.comment}
        disabled={recorded}
        name="comment"
        defaultValue=""
        ref={commentRef}
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
        error={errors.shortenTo}
        disabled={recorded}
        name="shortenTo"
        defaultValue=""
        ref={shortenRef}
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
            disabled={pending !== null}
            onConfirm={() => run("approve")}
          />
          <ConfirmButton
            label="Deny"
            confirmLabel="Confirm deny"
            pendingLabel="Denying…"
            pending={deciding("deny")}
            disabled={pending !== null}
            onConfirm={() => run("deny")}
          />
        </div>
      )}
    </fieldset>
  );
}
