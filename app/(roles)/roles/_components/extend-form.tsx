"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import { TextAreaField, TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes, formatWhen } from "@/components/time";
import { durationMinutesSchema, extendGrantInput } from "@/server/requests/schemas";

export type ExtendResult = RouterOutputs["grants"]["extend"];

const DEFAULT_MINUTES = 30;

function schemaFor(room: number, maxTotal: number) {
  return z.object({
    minutes: durationMinutesSchema.max(room, `At most ${room} minutes: this privilege can be held for ${formatMinutes(maxTotal)} in total`),
    justification: extendGrantInput.shape.justification,
    changeId: extendGrantInput.shape.changeId,
    governanceCode: extendGrantInput.shape.governanceCode,
  });
}
type Schema = ReturnType<typeof schemaFor>;

/** The id of the minutes field, which a link to `/roles?extend=<grantId>` moves focus to. */
export function extendMinutesId(grantId: string): string {
  return `extend-${grantId}-minutes`;
}

interface ExtendFormProps {
  grantId: string;
  privilege: string;
  /** Minutes left before the privilege's maximum in total is reached. */
  room: number;
  maxTotalMinutes: number;
  /** The access group's window: the end never moves past it. */
  windowEndsAt: Date | null;
  onDone: (result: ExtendResult, minutes: number) => void;
  onCancel: () => void;
}

/** Asks for more time on an active grant; the access group's approval rule decides whether it waits. */
export function ExtendForm({ grantId, privilege, room, maxTotalMinutes, windowEndsAt, onDone, onCancel }: ExtendFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const schema = useMemo(() => schemaFor(room, maxTotalMinutes), [room, maxTotalMinutes]);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<z.input<Schema>, unknown, z.output<Schema>>({
    resolver: zodResolver(schema),
    defaultValues: { minutes: Math.min(DEFAULT_MINUTES, room), justification: "", changeId: "", governanceCode: "" },
  });
  const [problem, setProblem] = useState<string | null>(null);
  const extend = useMutation(
    trpc.grants.extend.mutationOptions({
      // The list shows the new end (or the waiting extension) before the form closes.
      onSuccess: async (result, sent) => {
        await queryClient.invalidateQueries({ queryKey: trpc.requests.mine.pathKey() });
        onDone(result, Number(sent.minutes));
      },
      onError: (err) => setProblem(applyServerErrors(err, setError, ["minutes", "justification", "changeId", "governanceCode"])),
    }),
  );

  const minutesId = extendMinutesId(grantId);
  return (
    <form
      aria-label={`Extend ${privilege}`}
      noValidate
      onSubmit={handleSubmit((values) => {
        setProblem(null);
        extend.mutate({ grantId, ...values });
      })}
      className="mt-4 space-y-3 rounded-md border border-slate-200 bg-slate-50 p-3 sm:p-4"
    >
      <TextField
        id={minutesId}
        label="Extend by (minutes)"
        type="number"
        inputMode="numeric"
        min={1}
        max={room}
        step={1}
        autoFocus
        hint={`1 to ${room} minutes.${windowEndsAt ? ` Never past ${formatWhen(windowEndsAt)}, the end of the access group's time window.` : ""}`}
        error={errors.minutes?.message}
        {...register("minutes")}
      />
      <TextAreaField
        id={`extend-${grantId}-justification`}
        label="Justification"
        rows={2}
        maxLength={1000}
        placeholder="Why you need more time"
        hint="Required when your access group asks for one; recorded in the audit trail."
        error={errors.justification?.message}
        {...register("justification")}
      />
      {/* The group that allows the extension decides which of these it needs, as for a request. */}
      <div className="grid gap-3 sm:grid-cols-2">
        <TextField
          id={`extend-${grantId}-change-id`}
          label="Change ID"
          maxLength={100}
          autoComplete="off"
          hint="Required when your access group asks for one."
          error={errors.changeId?.message}
          {...register("changeId")}
        />
        <TextField
          id={`extend-${grantId}-governance-code`}
          label="Governance (ITSM) code"
          maxLength={100}
          autoComplete="off"
          hint="Required when your access group asks for one."
          error={errors.governanceCode?.message}
          {...register("governanceCode")}
        />
      </div>
      {problem && <ErrorAlert>{problem}</ErrorAlert>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={extend.isPending}>
          Request extension
        </Button>
        <Button variant="ghost" onClick={onCancel} disabled={extend.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
