"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading } from "@/components/alerts";
import { TextField } from "@/components/form-field";
import { useDebounced } from "@/components/use-debounced";
import { formatForGroupAndViewer, plural } from "../../_components/format";
import { limitsFormSchema, type LimitsFormValues } from "./limits-form-schema";

const MAX_MINUTES = 60 * 24 * 31;
const NO_LIMITS = { validFrom: null, validTo: null, daysOfWeek: [], windows: [] };

/** Is access open now with the limits as typed, and when would a grant asked for now end. */
export function LimitsPreview({ values, timeZone }: { values: LimitsFormValues; timeZone: string }) {
  const trpc = useTRPC();
  const [durationText, setDurationText] = useState("60");
  const duration = Number(durationText);
  const durationOk = Number.isInteger(duration) && duration >= 1 && duration <= MAX_MINUTES;
  const durationMinutes = useDebounced(durationOk ? duration : null, 300);
  const parsed = limitsFormSchema.safeParse(values);
  const preview = useQuery({
    ...trpc.accessGroups.limits.preview.queryOptions({ limits: parsed.success ? parsed.data : NO_LIMITS, timeZone, durationMinutes: durationMinutes ?? 60 }),
    enabled: parsed.success && durationMinutes !== null,
    placeholderData: keepPreviousData,
    // "Now" moves on.
    refetchInterval: 60_000,
  });

  return (
    <section aria-label="Preview" className="space-y-3 rounded-lg border border-slate-200 bg-slate-50 p-4 lg:sticky lg:top-4">
      <div>
        <h4 className="font-semibold text-slate-900">Preview</h4>
        <p className="text-xs text-slate-500">With the limits as typed, before saving.</p>
      </div>
      <TextField
        id="limits-preview-duration"
        label="Duration to preview (minutes)"
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_MINUTES}
        value={durationText}
        onChange={(e) => setDurationText(e.target.value)}
        error={durationOk ? undefined : `Enter a whole number of minutes from 1 to ${MAX_MINUTES}`}
      />
      {!parsed.success ? (
        <p className="text-sm text-slate-700">Fix the highlighted limits to update the preview.</p>
      ) : preview.isPending ? (
        <Loading label="Computing the preview…" />
      ) : preview.isError ? (
        <ErrorAlert>The preview failed: {describeError(preview.error).message}</ErrorAlert>
      ) : (
        <div aria-busy={preview.isFetching} className={`space-y-1 text-sm text-slate-800 ${preview.isPlaceholderData ? "opacity-60" : ""}`}>
          {preview.data.open ? (
            <>
              <p className="font-semibold text-emerald-800">Open now</p>
              <p>
                A grant of {plural(durationMinutes ?? 60, "minute")} requested now would end at {formatForGroupAndViewer(preview.data.endsAt, timeZone)}
                {preview.data.clipped && " (cut to the end of the window)"}.
              </p>
            </>
          ) : (
            <>
              <p className="font-semibold text-amber-800">Closed now: {preview.data.reason}</p>
              <p>
                {preview.data.nextWindowStartsAt
                  ? `Opens again ${formatForGroupAndViewer(preview.data.nextWindowStartsAt, timeZone)}`
                  : "It does not open again under these limits."}
              </p>
            </>
          )}
        </div>
      )}
    </section>
  );
}
