"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Controller, useForm, useWatch } from "react-hook-form";
import type { z } from "zod";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import { CheckboxField, TextAreaField, TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes } from "@/components/time";
import { privilegeSetFormSchema } from "@/server/privilege-sets/schemas";
import { CheckboxGroup, type CheckboxOption } from "./checkbox-group";

export type AdminPrivilegeSet = RouterOutputs["privilegeSets"]["page"]["items"][number];
type Options = RouterOutputs["privilegeSets"]["options"];
type Input = z.input<typeof privilegeSetFormSchema>;
type Output = z.output<typeof privilegeSetFormSchema>;

const FIELDS = ["name", "description", "privilegeIds", "credentialIds", "allowOwnAccount"] as const;

/** The accounts to offer: the catalog's directory accounts, and any of the set's that left AD (so they can be removed). */
function accountOptions(options: Options, set: AdminPrivilegeSet | undefined): CheckboxOption[] {
  const offered: CheckboxOption[] = options.accounts.map((a) => ({
    id: a.id,
    label: a.username,
    detail: a.displayName && a.displayName !== a.username ? a.displayName : undefined,
  }));
  const gone = (set?.accounts ?? []).filter((a) => !options.accounts.some((o) => o.id === a.id));
  return [...offered, ...gone.map((a) => ({ id: a.id, label: a.username, detail: "No longer in Active Directory: remove it", unavailable: true }))];
}

/** Creates a set, or edits one (with its Enabled switch). */
export function PrivilegeSetForm({ set, onDone }: { set?: AdminPrivilegeSet; onDone: (savedName?: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = useQuery(trpc.privilegeSets.options.queryOptions());
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors },
  } = useForm<Input, unknown, Output>({
    resolver: zodResolver(privilegeSetFormSchema),
    defaultValues: {
      name: set?.name ?? "",
      description: set?.description ?? "",
      privilegeIds: set?.privileges.map((p) => p.id) ?? [],
      credentialIds: set?.accounts.map((a) => a.id) ?? [],
      allowOwnAccount: set?.allowOwnAccount ?? false,
      enabled: set?.enabled ?? true,
    },
  });
  const chosen = useWatch({ control, name: "privilegeIds" }) ?? [];

  const mutationOptions = {
    onSuccess: async (saved: { name: string }) => {
      await queryClient.invalidateQueries({ queryKey: trpc.privilegeSets.page.queryKey() });
      onDone(saved.name);
    },
    onError: (err: unknown) => setFormError(applyServerErrors(err, setError, FIELDS)),
  };
  const create = useMutation(trpc.privilegeSets.create.mutationOptions(mutationOptions));
  const update = useMutation(trpc.privilegeSets.update.mutationOptions(mutationOptions));
  const pending = create.isPending || update.isPending;

  if (options.isPending) return <Loading label="Loading privileges and accounts…" />;
  if (options.isError) return <QueryError message={describeError(options.error).message} onRetry={() => void options.refetch()} />;

  const privilegeOptions: CheckboxOption[] = options.data.privileges.map((p) => ({
    id: p.id,
    label: p.enabled ? p.name : `${p.name} (disabled)`,
    detail: `Up to ${formatMinutes(p.maxDurationMinutes)}`,
    unavailable: !p.enabled,
  }));
  const maxima = options.data.privileges.filter((p) => chosen.includes(p.id)).map((p) => p.maxDurationMinutes);
  const idPrefix = set ? `set-${set.id}` : "new-set";

  return (
    <form
      noValidate
      aria-label={set ? `Edit ${set.name}` : "New privilege set"}
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        const { enabled, ...fields } = values;
        if (set) update.mutate({ id: set.id, enabled, ...fields });
        else create.mutate(fields);
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id={`${idPrefix}-name`} label="Name" autoFocus autoComplete="off" error={errors.name?.message} {...register("name")} />
        <TextAreaField
          id={`${idPrefix}-description`}
          label="Description"
          rows={2}
          error={errors.description?.message}
          hint="What the set is for; requesters see it."
          {...register("description")}
        />
      </div>
      <Controller
        control={control}
        name="privilegeIds"
        render={({ field }) => (
          <CheckboxGroup
            id={`${idPrefix}-privileges`}
            legend="Privileges"
            hint={
              maxima.length > 0
                ? `A request for the set lasts at most ${formatMinutes(Math.min(...maxima))}, the shortest maximum of its privileges.`
                : "Every privilege chosen is granted by one request."
            }
            error={errors.privilegeIds?.message}
            options={privilegeOptions}
            value={field.value ?? []}
            onChange={field.onChange}
            empty="No privileges are published yet: publish some under Privileges first."
          />
        )}
      />
      <Controller
        control={control}
        name="credentialIds"
        render={({ field }) => (
          <CheckboxGroup
            id={`${idPrefix}-accounts`}
            legend="Privileged accounts allowed to use the set"
            hint="Requesters elevate one of these accounts (their access group must allow it too)."
            error={errors.credentialIds?.message}
            options={accountOptions(options.data, set)}
            value={field.value ?? []}
            onChange={field.onChange}
            empty="The catalog holds no privileged accounts from Active Directory yet: sync the catalog first."
          />
        )}
      />
      <CheckboxField
        id={`${idPrefix}-own`}
        label="Also for the requester's own account"
        hint="Off: only the accounts above can be elevated with this set."
        error={errors.allowOwnAccount?.message}
        {...register("allowOwnAccount")}
      />
      {set && (
        <CheckboxField
          id={`${idPrefix}-enabled`}
          label="Enabled"
          hint="Only enabled sets can be requested; grants already made run their course."
          {...register("enabled")}
        />
      )}
      <ErrorAlert>{formError}</ErrorAlert>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={pending}>
          {pending ? "Saving…" : set ? "Save changes" : "Create set"}
        </Button>
        <Button variant="ghost" onClick={() => onDone()} disabled={pending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
