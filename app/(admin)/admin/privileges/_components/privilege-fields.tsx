"use client";

import type { FieldValues, Resolver, UseFormRegisterReturn } from "react-hook-form";
import { CheckboxField, TextAreaField, TextField } from "@/components/form-field";
import { MAX_DURATION_MINUTES } from "@/server/privileges/schemas";

export type PrivilegeFieldName = "name" | "description" | "maxDurationMinutes" | "defaultDurationMinutes" | "allowExtension" | "maxTotalMinutes";

interface PrivilegeFieldsProps {
  idPrefix: string;
  /** register() of the surrounding form, narrowed to the shared fields. */
  field: (name: PrivilegeFieldName) => UseFormRegisterReturn;
  errors: Partial<Record<PrivilegeFieldName, string | undefined>>;
  /** The form's current "Allow extension": the total with extensions only applies with it. */
  extensionAllowed: boolean;
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
export function PrivilegeFields({ idPrefix, field, errors, extensionAllowed }: PrivilegeFieldsProps) {
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
    </>
  );
}
