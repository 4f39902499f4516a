"use client";

import { useQuery } from "@tanstack/react-query";
import type { FieldValues, Resolver, UseFormRegisterReturn } from "react-hook-form";
import { useTRPC } from "@/trpc/client";
import { CheckboxField, TextAreaField, TextField } from "@/components/form-field";
import { PAM_OFF_EXPLANATION } from "@/server/directory/ttl";
import { MAX_DURATION_MINUTES, type GrantMechanism } from "@/server/privileges/schemas";

export type PrivilegeFieldName = "name" | "description" | "maxDurationMinutes" | "defaultDurationMinutes" | "allowExtension" | "maxTotalMinutes" | "mechanism";

export const MECHANISM_LABEL: Record<GrantMechanism, string> = {
  direct: "Direct membership",
  ttl: "Membership with TTL (AD removes it itself)",
  "temporary-group": "Temporary group",
};

interface PrivilegeFieldsProps {
  idPrefix: string;
  /** register() of the surrounding form, narrowed to the shared fields. */
  field: (name: PrivilegeFieldName) => UseFormRegisterReturn;
  errors: Partial<Record<PrivilegeFieldName, string | undefined>>;
  /** The form's current "Allow extension": the total with extensions only applies with it. */
  extensionAllowed: boolean;
  /** The mechanism saved on the privilege being edited (none when publishing). */
  savedMechanism?: GrantMechanism;
}

/**
 * Direct, TTL or temporary group. TTL needs the forest's PAM feature: disabled when the directory
 * says it is off (the server refuses it then too); while that is unknown the server decides on save.
 * Temporary groups need the server's TEMP_GROUP_OU.
 */
function MechanismField({ idPrefix, field, error, savedMechanism }: Pick<PrivilegeFieldsProps, "idPrefix" | "field" | "savedMechanism"> & { error?: string }) {
  const trpc = useTRPC();
  const facts = useQuery(trpc.grants.kerberos.queryOptions());
  const pamOff = facts.data?.pamFeatureEnabled === false;
  const tempOff = facts.data?.temporaryGroupsAvailable === false;
  const options: { value: GrantMechanism; hint: string; disabled: boolean }[] = [
    {
      value: "direct",
      hint: "Interim adds the account to the group and removes it when time is up. Kerberos tickets issued before the removal stay valid until they expire.",
      disabled: false,
    },
    {
      value: "ttl",
      hint: pamOff
        ? PAM_OFF_EXPLANATION
        : "The membership carries a time to live: AD removes it itself and the KDC issues no ticket that outlives it. Interim still checks the removal.",
      disabled: pamOff,
    },
    {
      value: "temporary-group",
      hint: tempOff
        ? "Not configured: the server needs TEMP_GROUP_OU, the OU where Interim may create and delete groups."
        : "Interim creates a group for each grant, puts the account in it and nests it into this group; when time is up it deletes that group. This group's own member list only ever gains and loses the temporary groups.",
      disabled: tempOff,
    },
  ];
  const id = (value: string) => `${idPrefix}-mechanism-${value}`;
  return (
    <fieldset className="space-y-2" aria-describedby={error ? `${idPrefix}-mechanism-error` : undefined}>
      <legend className="text-sm font-medium text-slate-800">Grant mechanism</legend>
      {savedMechanism === "ttl" && pamOff && (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          This privilege uses membership with TTL, but the Privileged Access Management feature is off now, so its grants are added as direct memberships.
          Choose another mechanism to save changes.
        </p>
      )}
      {options.map((o) => (
        <div key={o.value} className="flex items-start gap-2">
          <input
            id={id(o.value)}
            type="radio"
            value={o.value}
            disabled={o.disabled}
            aria-describedby={`${id(o.value)}-hint`}
            className="mt-0.5 size-4 shrink-0 accent-indigo-600"
            {...field("mechanism")}
          />
          <div className="min-w-0">
            <label htmlFor={id(o.value)} className={`text-sm ${o.disabled ? "text-slate-400" : "text-slate-800"}`}>
              {MECHANISM_LABEL[o.value]}
            </label>
            <p id={`${id(o.value)}-hint`} className="text-xs text-slate-500">
              {o.hint}
            </p>
          </div>
        </div>
      ))}
      {error && (
        <p id={`${idPrefix}-mechanism-error`} className="text-sm text-red-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/**
 * Without extensions a total has no meaning: the form keeps what was typed in the field (for
 * turning extension back on) but does not check it, and saves the privilege without a total.
 * Wraps the form's zod resolver.
 */
export function totalOnlyWithExtension<T extends FieldValues & { allowExtension?: boolean; maxTotalMinutes?: unknown }, C, O>(
  resolver: Resolver<T, C, O>,
): Resolver<T, C, O> {
  return (values, context, options) => resolver(values.allowExtension ? values : { ...values, maxTotalMinutes: null }, context, options);
}

/** The fields a privilege has whether it is being published or edited. */
export function PrivilegeFields({ idPrefix, field, errors, extensionAllowed, savedMechanism }: PrivilegeFieldsProps) {
  const id = (name: string) => `${idPrefix}-${name}`;
  return (
    <>
      <TextField id={id("name")} label="Display name" autoFocus error={errors.name} hint="What requesters see." {...field("name")} />
      <TextAreaField id={id("description")} label="Description" rows={2} error={errors.description} {...field("description")} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          id={id("max")}
          label="Maximum duration (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_DURATION_MINUTES}
          error={errors.maxDurationMinutes}
          hint={`Up to ${MAX_DURATION_MINUTES} (7 days).`}
          {...field("maxDurationMinutes")}
        />
        <TextField
          id={id("default")}
          label="Default duration (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          error={errors.defaultDurationMinutes}
          hint="Pre-filled in the request form."
          {...field("defaultDurationMinutes")}
        />
      </div>
      <CheckboxField id={id("extend")} label="Allow extension" hint="Holders may ask for more time before it runs out." {...field("allowExtension")} />
      <div className="sm:w-1/2 sm:pr-2">
        <TextField
          id={id("total")}
          label="Maximum total with extensions (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_DURATION_MINUTES * 4}
          disabled={!extensionAllowed}
          error={extensionAllowed ? errors.maxTotalMinutes : undefined}
          hint={
            extensionAllowed
              ? `How long a grant may run with its extensions, up to ${MAX_DURATION_MINUTES * 4} (28 days). At least the maximum duration; empty means the same as it.`
              : "Applies when extension is allowed."
          }
          {...field("maxTotalMinutes")}
        />
      </div>
      <MechanismField idPrefix={idPrefix} field={field} error={errors.mechanism} savedMechanism={savedMechanism} />
    </>
  );
}
