"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { TRPCClientError } from "@trpc/client";
import { useState, type FormEventHandler, type ReactNode } from "react";
import { useForm, type DefaultValues, type FieldValues, type Path } from "react-hook-form";
import type { z } from "zod";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import { MAX_TAGS, MAX_TAG_LENGTH } from "@/server/catalog/schemas";
import { errorCode } from "@/trpc/client";

/** What the device and credential forms share: the form hook, its server-error mapping, the frame around the fields. */

export type OnDone = (savedName?: string) => void;

export const TAGS_HINT = `Comma separated; up to ${MAX_TAGS}, each up to ${MAX_TAG_LENGTH} characters.`;

/** A CONFLICT from the server (a duplicate name) belongs under the name field. */
function conflictMessage(err: unknown): string | null {
  if (err instanceof TRPCClientError && errorCode(err) === "CONFLICT") return err.message;
  return null;
}

/**
 * react-hook-form on a catalog schema. `submit(save)` clears the form's alert, then calls `save` with
 * the parsed values and the `onError` to pass to the mutation: server messages go under `fields`,
 * a CONFLICT under `conflictField` when there is one.
 */
export function useCatalogForm<TInput extends FieldValues, TOutput extends FieldValues>(
  schema: z.ZodType<TOutput, TInput>,
  defaultValues: DefaultValues<TInput>,
  { fields, conflictField }: { fields: readonly Path<TInput>[]; conflictField?: Path<TInput> },
) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<TInput, unknown, TOutput>({ resolver: zodResolver(schema), defaultValues });
  const onError = (err: unknown) => {
    const conflict = conflictField && conflictMessage(err);
    if (conflict) setError(conflictField, { type: "server", message: conflict });
    else setFormError(applyServerErrors(err, setError, fields));
  };
  const submit = (save: (values: TOutput, options: { onError: typeof onError }) => void) =>
    handleSubmit((values) => {
      setFormError(null);
      save(values, { onError });
    });
  return { register, errors, formError, submit };
}

/** The form element, its alert and its buttons around a catalog form's fields. */
export function CatalogForm(props: {
  label: string;
  onSubmit: FormEventHandler<HTMLFormElement>;
  formError: string | null;
  pending: boolean;
  submitLabel: string;
  onCancel: () => void;
  children: ReactNode;
}) {
  const { pending } = props;
  return (
    <form noValidate aria-label={props.label} className="space-y-4" onSubmit={props.onSubmit}>
      {props.children}
      <ErrorAlert>{props.formError}</ErrorAlert>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={pending}>
          {pending ? "Saving…" : props.submitLabel}
        </Button>
        <Button variant="ghost" onClick={props.onCancel} disabled={pending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** What Active Directory owns on a synced entry, read-only above the fields admins may change. */
export function DirectoryValues({ note, values }: { note: string; values: [label: string, value: string | null][] }) {
  return (
    <>
      <p className="text-xs text-slate-600">{note}</p>
      <div className="grid gap-4 sm:grid-cols-3">
        {values.map(([label, value]) => (
          <div key={label} className="space-y-1">
            <div className="text-sm font-medium text-slate-800">{label}</div>
            <div className="rounded-md border border-dashed border-slate-300 bg-slate-50 px-3 py-2 text-sm text-slate-700">{value || "—"}</div>
          </div>
        ))}
      </div>
    </>
  );
}
