"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading } from "@/components/alerts";
import { criteriaIsEmpty } from "@/server/access-groups/policy/criteria";
import type { CriteriaField } from "@/server/access-groups/policy/schemas";
import { FIELD_LABEL, parseCriteriaText, type CriteriaText } from "./criteria-text";

const EMPTY = {
  privilegeNames: [],
  privilegeTags: [],
  credentialUsernames: [],
  credentialTypes: [],
  credentialTags: [],
  deviceNames: [],
  deviceModels: [],
  deviceTypes: [],
  deviceTags: [],
  websites: [],
};

/** What the group's users would be offered with the criteria as typed, saved or not. */
export function CriteriaPreview({ text }: { text: CriteriaText }) {
  const trpc = useTRPC();
  const parsed = parseCriteriaText(text);
  const preview = useQuery({
    ...trpc.accessGroups.criteria.preview.queryOptions({ criteria: parsed.ok ? parsed.criteria : EMPTY, sampleSize: 10 }),
    enabled: parsed.ok,
    placeholderData: keepPreviousData,
  });

  return (
    <section aria-label="Preview" className="space-y-3 rounded-lg border border-slate-200 bg-slate-50 p-4 lg:sticky lg:top-4">
      <div>
        <h4 className="font-semibold text-slate-900">Preview</h4>
        <p className="text-xs text-slate-500">What the group&apos;s users would be offered with the criteria as typed, before saving.</p>
      </div>
      {!parsed.ok ? (
        <div className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          <p className="font-medium">Fix these patterns to update the preview:</p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5">
            {(Object.entries(parsed.errors) as [CriteriaField, string[]][]).flatMap(([field, messages]) =>
              messages.map((m) => (
                <li key={`${field}-${m}`}>
                  {FIELD_LABEL[field]}, {m.charAt(0).toLowerCase() + m.slice(1)}
                </li>
              )),
            )}
          </ul>
        </div>
      ) : preview.isPending ? (
        <Loading label="Computing the preview…" />
      ) : preview.isError ? (
        <ErrorAlert>The preview failed: {describeError(preview.error).message}</ErrorAlert>
      ) : (
        <div aria-busy={preview.isFetching} className={`space-y-3 transition-opacity ${preview.isPlaceholderData ? "opacity-60" : ""}`}>
          {criteriaIsEmpty(parsed.criteria) && <p className="text-sm text-slate-700">No criteria: everything is selected.</p>}
          <Tally noun="privilege" result={preview.data.privileges} />
          <Tally noun="credential" result={preview.data.credentials} />
          <Tally noun="device" result={preview.data.devices} />
        </div>
      )}
    </section>
  );
}

function Tally({ noun, result }: { noun: string; result: { count: number; of: number; sample: string[] } }) {
  const more = result.count - result.sample.length;
  return (
    <div>
      {/* Always the plural ("1 of 1 privileges"): one fixed wording is easier to find and to test. */}
      <p className="text-sm font-medium text-slate-900">{`${result.count} of ${result.of} ${noun}s`}</p>
      {result.sample.length > 0 && (
        <ul aria-label={`Matching ${noun}s`} className="mt-1 space-y-0.5 text-xs break-words text-slate-700">
          {result.sample.map((name, i) => (
            <li key={`${name}-${i}`} className="font-mono">
              {name}
            </li>
          ))}
          {more > 0 && <li className="text-slate-500">and {more} more</li>}
        </ul>
      )}
    </div>
  );
}
