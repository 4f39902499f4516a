"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { Field, controlClass } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";

type Person = RouterOutputs["accessGroups"]["approvers"]["search"][number];

/** Finds people in the directory; adding one only puts them in the form until it is saved. */
export function ApproverSearch({ listed, onAdd }: { listed: string[]; onAdd: (person: Person) => void }) {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const people = useQuery({
    ...trpc.accessGroups.approvers.search.queryOptions({ query: debounced }),
    enabled: debounced !== "",
    placeholderData: keepPreviousData,
  });

  return (
    <div className="max-w-3xl space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <Field id="approver-search" label="Search people" hint="Name, account name or display name.">
        <input
          id="approver-search"
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          maxLength={64}
          autoComplete="off"
          aria-describedby="approver-search-hint"
          className={controlClass(false)}
        />
      </Field>
      {debounced === "" ? null : people.isPending ? (
        <Loading label="Searching the directory…" />
      ) : people.isError ? (
        <QueryError message={describeError(people.error).message} onRetry={() => void people.refetch()} />
      ) : people.data.length === 0 ? (
        <p className="text-sm text-slate-600">No one matches “{debounced}”.</p>
      ) : (
        <ul aria-label="People found" aria-busy={people.isFetching} className={`divide-y divide-slate-100 ${people.isPlaceholderData ? "opacity-60" : ""}`}>
          {people.data.map((p) => {
            const already = listed.includes(p.objectGuid.toLowerCase());
            return (
              <li key={p.objectGuid} className="flex flex-wrap items-center justify-between gap-3 py-2">
                <div className="min-w-0 flex-1 basis-60">
                  <p className="text-sm font-medium break-words text-slate-900">
                    {p.displayName} <span className="font-normal text-slate-500">({p.name})</span>
                    {p.disabled && <span className="ml-2 text-xs text-red-700">disabled in the directory</span>}
                    {already && <span className="ml-2 text-xs text-emerald-700">listed</span>}
                  </p>
                  <p className="text-xs text-slate-500">
                    <Dn value={p.dn} />
                  </p>
                </div>
                <Button aria-label={`Add ${p.name}`} onClick={() => onAdd(p)} disabled={already || p.disabled}>
                  Add
                </Button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
