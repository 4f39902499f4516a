"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { useForm } from "react-hook-form";
import type { z } from "zod";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { submitRequestInput } from "@/server/requests/schemas";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { TextAreaField, TextField } from "@/components/form-field";
import type { AvailablePrivilege } from "./privilege-card";

// The server's schema, narrowed to this privilege's maximum so the limit is checked before sending.
function schemaFor(max: number) {
  return submitRequestInput.extend({
    durationMinutes: submitRequestInput.shape.durationMinutes.max(max, `At most ${max} minutes for this privilege`),
  });
}
type Schema = ReturnType<typeof schemaFor>;

interface RequestFormProps {
  id: string;
  privilege: AvailablePrivilege;
  onCancel: () => void;
  onSubmitted: () => void;
}

export function RequestForm({ id, privilege, onCancel, onSubmitted }: RequestFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const schema = useMemo(() => schemaFor(privilege.maxDurationMinutes), [privilege.maxDurationMinutes]);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<z.input<Schema>, unknown, z.output<Schema>>({
    resolver: zodResolver(schema),
    defaultValues: { privilegeId: privilege.id, durationMinutes: privilege.defaultDurationMinutes, justification: "" },
  });

  const submit = useMutation(
    trpc.requests.submit.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.requests.mine.queryKey() });
        onSubmitted();
      },
      onError: (err) => {
        const { fieldErrors } = describeError(err);
        for (const [field, messages] of Object.entries(fieldErrors ?? {})) {
          if ((field === "durationMinutes" || field === "justification") && messages?.[0]) setError(field, { message: messages[0] });
        }
      },
    }),
  );

  const fieldId = (name: string) => `${id}-${name}`;
  return (
    <form id={id} noValidate onSubmit={handleSubmit((values) => submit.mutate(values))} className="mt-4 space-y-4 border-t border-slate-100 pt-4">
      <input type="hidden" {...register("privilegeId")} />
      <TextField
        id={fieldId("duration")}
        label="Duration (minutes)"
        type="number"
        inputMode="numeric"
        min={1}
        max={privilege.maxDurationMinutes}
        step={1}
        autoFocus
        hint={`1 to ${privilege.maxDurationMinutes} minutes. The clock starts when access is in place.`}
        error={errors.durationMinutes?.message}
        {...register("durationMinutes")}
      />
      <TextAreaField
        id={fieldId("justification")}
        label="Justification"
        rows={3}
        placeholder="What you will do with this access, e.g. a ticket number"
        hint="Recorded in the audit trail."
        error={errors.justification?.message}
        {...register("justification")}
      />
      {submit.isError && <ErrorAlert>{describeError(submit.error).message}</ErrorAlert>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={submit.isPending}>
          {submit.isPending ? "Submitting…" : "Submit request"}
        </Button>
        <Button variant="ghost" onClick={onCancel} disabled={submit.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
