"use client";

import type { UseQueryResult } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "@/trpc/client";
import { Button } from "@/components/button";
import { Field, TextField, controlClass } from "@/components/form-field";
import { allowedLocationSchema } from "@/server/access-groups/policy/schemas";

type Country = { code: string; name: string };
export type LocationEntry = { country: string; region: string | null };

/** "FR" for a whole country, "FR-IDF" for a region. */
export function locationCode(entry: { country: string; region?: string | null }): string {
  return (entry.region || entry.country).toUpperCase();
}

/** Country and optional region, checked like the server checks them before joining the list. */
export function AddLocation({
  countries,
  existing,
  onAdd,
}: {
  countries: UseQueryResult<Country[], unknown>;
  existing: string[];
  onAdd: (entry: LocationEntry) => void;
}) {
  const [country, setCountry] = useState("");
  const [region, setRegion] = useState("");
  const [errors, setErrors] = useState<{ country?: string; region?: string }>({});

  function add() {
    const parsed = allowedLocationSchema.safeParse({ country, region: region.trim() || null });
    if (!parsed.success) {
      const next: typeof errors = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] === "region" ? "region" : "country";
        next[key] ??= key === "country" && !country ? "Choose a country" : issue.message;
      }
      setErrors(next);
      return;
    }
    const entry = { country: parsed.data.country, region: parsed.data.region ?? null };
    const code = locationCode(entry);
    if (existing.includes(code)) {
      setErrors({ [entry.region ? "region" : "country"]: `${code} is in the list already` });
      return;
    }
    onAdd(entry);
    setErrors({});
    setRegion("");
  }

  return (
    <fieldset className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <legend className="px-1 text-sm font-semibold text-slate-900">Add a location</legend>
      <div className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_12rem_auto] sm:items-start">
        <Field
          id="locations-country"
          label="Country"
          error={errors.country ?? (countries.isError ? `The countries did not load: ${describeError(countries.error).message}` : undefined)}
        >
          <select
            id="locations-country"
            value={country}
            onChange={(e) => setCountry(e.target.value)}
            aria-invalid={errors.country ? true : undefined}
            aria-describedby={errors.country ? "locations-country-error" : undefined}
            className={controlClass(Boolean(errors.country))}
          >
            <option value="">{countries.isPending ? "Loading countries…" : "Choose a country"}</option>
            {countries.data?.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name} ({c.code})
              </option>
            ))}
          </select>
        </Field>
        <TextField
          id="locations-region"
          label="Region (optional)"
          value={region}
          onChange={(e) => setRegion(e.target.value)}
          onKeyDown={(e) => {
            // Enter adds the location rather than saving the whole form.
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
          placeholder={country ? `${country}-…` : "FR-IDF"}
          autoCapitalize="characters"
          autoComplete="off"
          spellCheck={false}
          maxLength={6}
          error={errors.region}
          hint="ISO 3166-2 code. Empty: the whole country."
        />
        <Button className="sm:mt-6" onClick={add}>
          Add location
        </Button>
      </div>
    </fieldset>
  );
}
