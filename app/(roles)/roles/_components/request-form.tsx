"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { z } from "zod";
import { describeError, useTRPC } from "@/trpc/client";
import { durationMinutesSchema, submitRequestInput } from "@/server/requests/schemas";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { CheckboxField, Field, TextAreaField, TextField, controlClass } from "@/components/form-field";
import { formatMinutes, formatWhen } from "@/components/time";
import { useDebounced } from "@/components/use-debounced";
import { fromLocalInput, toLocalInput } from "./local-datetime";
import type { RequestTarget } from "./request-target";

const FIELD_LABEL = { justification: "Justification", changeId: "Change ID", governanceCode: "Governance (ITSM) code" } as const;
type RequestField = keyof typeof FIELD_LABEL;

// The server's field rules; the account is "" for the requester's own account.
function schemaFor(max: number, what: RequestTarget["kind"]) {
  const { justification, changeId, governanceCode } = submitRequestInput.shape;
  return z
    .object({
      // Unregistered (and so undefined) when the field is not shown.
      credentialId: z.string().optional(),
      durationMinutes: durationMinutesSchema.max(max, `At most ${max} minutes for this ${what === "set" ? "privilege set" : "privilege"}`),
      justification,
      changeId,
      governanceCode,
      emergency: z.boolean().optional(),
      start: z.enum(["now", "later"]),
      /** The datetime-local value; registered only while "Later" is chosen. */
      startsAtLocal: z.string().optional(),
    })
    .superRefine((values, ctx) => {
      if (values.start !== "later") return;
      const startsAt = fromLocalInput(values.startsAtLocal);
      if (!startsAt) ctx.addIssue({ code: "custom", path: ["startsAtLocal"], message: "Enter a start date and time" });
      else if (startsAt.getTime() < Date.now()) ctx.addIssue({ code: "custom", path: ["startsAtLocal"], message: "Pick a time in the future, or start now" });
    });
}
type Schema = ReturnType<typeof schemaFor>;

interface RequestFormProps {
  id: string;
  target: RequestTarget;
  onCancel: () => void;
  onSubmitted: (message: string) => void;
}

/**
 * Asks for exactly what the binding access group demands: the server's preview says which group
 * would allow this account and duration, which fields it requires and when the grant would end.
 * The same form asks for one privilege or a privilege set (every privilege in it, all or none).
 */
export function RequestForm({ id, target, onCancel, onSubmitted }: RequestFormProps) {
  const trpc = useTRPC();
  const privilegeAccounts = useQuery({
    ...trpc.requests.accounts.queryOptions({ privilegeId: target.id }),
    enabled: target.kind === "privilege" && target.accountCount > 0,
  });
  const accounts = target.kind === "set" ? target.accounts : (privilegeAccounts.data ?? []);
  const queryClient = useQueryClient();
  const schema = useMemo(() => schemaFor(target.maxDurationMinutes, target.kind), [target.maxDurationMinutes, target.kind]);
  const subject = target.kind === "set" ? { privilegeSetId: target.id } : { privilegeId: target.id };
  const {
    register,
    handleSubmit,
    setError,
    control,
    setValue,
    formState: { errors },
  } = useForm<z.input<Schema>, unknown, z.output<Schema>>({
    resolver: zodResolver(schema),
    shouldUnregister: true,
    // A set only for privileged accounts starts on its first account: there is no "own account" to pick.
    defaultValues: {
      credentialId: target.ownAccount ? "" : (accounts[0]?.id ?? ""),
      durationMinutes: target.defaultDurationMinutes,
      justification: "",
      changeId: "",
      governanceCode: "",
      emergency: false,
      start: "now",
    },
  });

  const credentialId = useWatch({ control, name: "credentialId" }) ?? "";
  const emergency = Boolean(useWatch({ control, name: "emergency" }));
  const rawDuration = Number(useWatch({ control, name: "durationMinutes" }));
  const duration = useDebounced(
    Number.isInteger(rawDuration) && rawDuration >= 1 ? Math.min(rawDuration, target.maxDurationMinutes) : target.defaultDurationMinutes,
    300,
  );
  const later = useWatch({ control, name: "start" }) === "later" && !emergency;
  const startsAtLocal = useDebounced(useWatch({ control, name: "startsAtLocal" }) ?? "", 300);
  // When the form opened: the picker offers no earlier time, and the server refuses past ones anyway.
  const [openedAt] = useState(() => Date.now());
  // One Date per typed value, so the preview's input is stable between renders. A time already
  // past previews as "now" (as the server does); submitting it shows the field's error.
  const startsAt = useMemo(() => {
    const at = later ? fromLocalInput(startsAtLocal) : null;
    return at && at.getTime() > openedAt ? at : null;
  }, [later, startsAtLocal, openedAt]);
  const timeZone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone, []);
  const preview = useQuery({
    ...trpc.requests.preview.queryOptions({ ...subject, credentialId: credentialId || null, durationMinutes: duration, emergency, startsAt }),
    placeholderData: (previous) => previous,
  });
  const verdict = preview.data ?? target.verdict;
  const required: RequestField[] = verdict.ok ? verdict.requiredFields : [];

  const submit = useMutation(
    trpc.requests.submit.mutationOptions({
      onSuccess: async (result, sent) => {
        await queryClient.invalidateQueries({ queryKey: trpc.requests.mine.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.requests.access.pathKey() });
        const scheduled = sent.startsAt instanceof Date ? ` Access is scheduled to start at ${formatWhen(sent.startsAt)}.` : "";
        onSubmitted(
          result.status === "pending"
            ? `Request submitted to ${result.accessGroup}; it waits for approval.${scheduled} Follow it under My access.`
            : `Request submitted.${scheduled} Follow it under My access.`,
        );
      },
      onError: (err) => {
        const { fieldErrors } = describeError(err);
        for (const [field, messages] of Object.entries(fieldErrors ?? {})) {
          if ((field === "durationMinutes" || field in FIELD_LABEL) && messages?.[0]) setError(field as "durationMinutes", { message: messages[0] });
          if (field === "startsAt" && messages?.[0]) setError("startsAtLocal", { message: messages[0] });
        }
      },
    }),
  );

  const fieldId = (name: string) => `${id}-${name}`;
  return (
    <form
      id={id}
      noValidate
      onSubmit={handleSubmit((values) => {
        const missing = required.filter((f) => !values[f]);
        for (const f of missing) setError(f, { message: `${verdict.ok ? verdict.group : "The access group"} requires a ${FIELD_LABEL[f].toLowerCase()}` });
        if (missing.length) return;
        const { start, startsAtLocal: local, ...fields } = values;
        submit.mutate({
          ...subject,
          ...fields,
          credentialId: fields.credentialId || null,
          emergency: fields.emergency ?? false,
          startsAt: start === "later" && !fields.emergency ? fromLocalInput(local) : null,
        });
      })}
      className="mt-4 space-y-4 border-t border-slate-100 pt-4"
    >
      {accounts.length > 0 && (
        <Field
          id={fieldId("account")}
          label="Account"
          hint={
            target.ownAccount
              ? "Elevate your own account or a privileged account your access group allows."
              : "Elevate one of the privileged accounts this set is for."
          }
        >
          <select id={fieldId("account")} className={controlClass(false)} {...register("credentialId")}>
            {target.ownAccount && <option value="">My own account</option>}
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.username}
                {a.displayName && a.displayName !== a.username ? ` (${a.displayName})` : ""}
              </option>
            ))}
          </select>
        </Field>
      )}
      <TextField
        id={fieldId("duration")}
        label="Duration (minutes)"
        type="number"
        inputMode="numeric"
        min={1}
        max={target.maxDurationMinutes}
        step={1}
        autoFocus
        hint={`1 to ${target.maxDurationMinutes} minutes. The clock starts when access is in place.`}
        error={errors.durationMinutes?.message}
        {...register("durationMinutes")}
      />

      {target.emergencyAllowed && (
        <CheckboxField
          id={fieldId("emergency")}
          label="Emergency access"
          hint="Granted without waiting for approval; a justification is required and approvers review it afterwards."
          {...register("emergency", {
            // Emergency access starts now: a chosen start time would only be refused.
            onChange: (e: { target: { checked: boolean } }) => {
              if (e.target.checked) setValue("start", "now");
            },
          })}
        />
      )}

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-800">Start</legend>
        <div className="flex flex-wrap gap-x-6 gap-y-2">
          <label className="inline-flex items-center gap-2 text-sm text-slate-800">
            <input type="radio" value="now" className="size-4 accent-indigo-600" {...register("start")} />
            Now
          </label>
          <label className={`inline-flex items-center gap-2 text-sm ${emergency ? "text-slate-400" : "text-slate-800"}`}>
            <input
              type="radio"
              value="later"
              disabled={emergency}
              aria-describedby={emergency ? fieldId("later-hint") : undefined}
              className="size-4 accent-indigo-600"
              {...register("start")}
            />
            Later
          </label>
        </div>
        {emergency && (
          <p id={fieldId("later-hint")} className="text-xs text-slate-500">
            Emergency access starts now; it cannot be scheduled.
          </p>
        )}
        {later && (
          <TextField
            id={fieldId("starts-at")}
            label="Start at"
            type="datetime-local"
            min={toLocalInput(new Date(openedAt))}
            required
            hint={`Your local time (${timeZone}). The access group's rules are checked for that time.`}
            error={errors.startsAtLocal?.message}
            {...register("startsAtLocal")}
          />
        )}
      </fieldset>

      <div role="status" aria-live="polite" className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
        {verdict.ok ? (
          <>
            {startsAt && (
              <>
                Access starts at <span className="font-medium">{formatWhen(startsAt)}</span> and lasts {formatMinutes(duration)}.{" "}
              </>
            )}
            Allowed by <span className="font-medium">{verdict.group}</span>
            {verdict.requiresApproval ? "; needs approval first" : ""}. Access would end by <span className="font-medium">{formatWhen(verdict.endsAt)}</span>
            {verdict.clipped ? " (cut to the end of the allowed time window)" : ""}.
          </>
        ) : (
          <>Not allowed: {verdict.reason}</>
        )}
        {verdict.ok && preview.data && "approvalLevels" in preview.data && preview.data.approvalLevels.length > 0 && (
          <ul aria-label="Approvers" className="mt-1 list-inside list-disc text-xs text-slate-600">
            {preview.data.approvalLevels.map((l) => (
              <li key={l.level}>
                Level {l.level}: {l.approvers.join(", ")} ({l.requiredApprovals} approval{l.requiredApprovals === 1 ? "" : "s"} needed)
              </li>
            ))}
          </ul>
        )}
      </div>
      {verdict.ok && (preview.data && "selfApprover" in preview.data ? preview.data.selfApprover : target.selfApprover) && (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          You are an approver of this group — you cannot approve your own request.
        </p>
      )}
      {verdict.ok && preview.data?.outsideUsualHours && (
        <p className="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-700">
          Outside the group&apos;s usual hours: approvers will see this flag.
        </p>
      )}

      {required.includes("justification") && (
        <TextAreaField
          id={fieldId("justification")}
          label="Justification"
          rows={3}
          required
          placeholder="What you will do with this access"
          hint="Required by the access group; recorded in the audit trail."
          error={errors.justification?.message}
          {...register("justification")}
        />
      )}
      {required.includes("changeId") && (
        <TextField
          id={fieldId("change")}
          label="Change ID"
          required
          hint="The change record this work belongs to."
          error={errors.changeId?.message}
          {...register("changeId")}
        />
      )}
      {required.includes("governanceCode") && (
        <TextField
          id={fieldId("governance")}
          label="Governance (ITSM) code"
          required
          hint="The ticket in your ITSM tool."
          error={errors.governanceCode?.message}
          {...register("governanceCode")}
        />
      )}
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
