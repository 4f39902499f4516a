"use client";

import type { UseFormRegisterReturn } from "react-hook-form";
import { CheckboxField, TextAreaField, TextField } from "@/components/form-field";
import { MAX_DURATION_MINUTES } from "@/server/privileges/schemas";

export type PrivilegeFieldName = "name" | "description" | "maxDurationMinutes" | "defaultDurationMinutes" | "allowExtension";

interface PrivilegeFieldsProps {
  idPrefix: string;
  /** register() of the surrounding form, narrowed to the shared fields. */
  field: (name: PrivilegeFieldName) => UseFormRegisterReturn;
  errors: Partial<Record<PrivilegeFieldName, string | undefined>>;
}

/** The fields a privilege has whether it is being published or edited. */
export function PrivilegeFields({ idPrefix, field, errors }: PrivilegeFieldsProps) {
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
    </>
  );
}
