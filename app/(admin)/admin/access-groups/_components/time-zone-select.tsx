"use client";

import { useQuery } from "@tanstack/react-query";
import type { Ref, SelectHTMLAttributes } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { Field, controlClass } from "@/components/form-field";

interface TimeZoneSelectProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> {
  id: string;
  error?: string;
  hint?: string;
  /** Always offered, even when the server's list lacks it (UTC, or the zone already saved). */
  current?: string;
  ref?: Ref<HTMLSelectElement>;
}

/** "Time zone": the IANA zones the server knows, UTC first. */
export function TimeZoneSelect({ id, error, hint, current, ...select }: TimeZoneSelectProps) {
  const trpc = useTRPC();
  const zones = useQuery({ ...trpc.accessGroups.settings.timeZones.queryOptions(), staleTime: Infinity });
  // Intl.supportedValuesOf leaves out UTC; a browser may report an alias the list spells differently.
  const options = [...new Set(["UTC", ...(current ? [current] : []), ...(zones.data ?? [])])];
  const loadError = zones.isError ? `The list of time zones did not load (${describeError(zones.error).message}).` : undefined;
  return (
    <Field id={id} label="Time zone" error={error ?? loadError} hint={hint}>
      <select
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || loadError ? `${id}-error` : hint ? `${id}-hint` : undefined}
        className={controlClass(Boolean(error))}
        {...select}
      >
        {options.map((zone) => (
          <option key={zone} value={zone}>
            {zone.replaceAll("_", " ")}
          </option>
        ))}
      </select>
    </Field>
  );
}
