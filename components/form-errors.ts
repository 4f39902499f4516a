"use client";

import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { describeError } from "@/trpc/client";

/**
 * Puts the server's zod messages under the form's own fields. Returns the message for the form's
 * alert: a pointer to the fields when they carry the detail, else the server's message.
 */
export function applyServerErrors<T extends FieldValues>(err: unknown, setError: UseFormSetError<T>, fields: readonly Path<T>[]): string {
  const { message, fieldErrors } = describeError(err);
  let placed = false;
  for (const field of fields) {
    const first = fieldErrors?.[field]?.[0];
    if (first) {
      setError(field, { type: "server", message: first });
      placed = true;
    }
  }
  return placed ? "Check the highlighted fields." : message;
}
