"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { Field, controlClass } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";

type Principal = RouterOutputs["accessGroups"]["users"]["search"][number];
type Kind = "user" | "group";

export function MemberSearch({ groupId, memberGuids, onAdded }: { groupId: string; memberGuids: string[]; onAdded: (name: string) => void }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<Kind>("user");
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const found = useQuery({
    ...trpc.accessGroups.users.search.queryOptions({ kind, query: debounced }),
    enabled: debounced !== "",
    // While typing, keep the last results on screen; never show people under "Groups" or the reverse.
    placeholderData: (previous, previousQuery) => ((previousQuery?.queryKey[1] as { input?: { kind?: Kind } } | undefined)?.input?.kind === kind ? previous : undefined),
  });

  return (
    <div className="max-w-3xl space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_auto] sm:items-start">
        <Field id="member-search" label="Search the directory" hint="Name, account name or display name.">
          <input
            id="member-search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            maxLength={64}
            autoComplete="off"
            aria-describedby="member-search-hint"
            className={controlClass(false)}
          />
        </Field>
        <fieldset className="sm:pt-6">
          <legend className="sr-only">Look for</legend>
          <div className="flex gap-4">
            {(
              [
                ["user", "People"],
                ["group", "Groups"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="inline-flex items-center gap-2 py-2 text-sm text-slate-800">
                <input
                  type="radio"
                  name="member-kind"
                  value={value}
                  checked={kind === value}
                  onChange={() => setKind(value)}
                  className="size-4 accent-indigo-600"
                />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
      </div>
      {debounced === "" ? null : found.isPending ? (
        <Loading label="Searching the directory…" />
      ) : found.isError ? (
        <QueryError message={describeError(found.error).message} onRetry={() => void found.refetch()} />
      ) : found.data.length === 0 ? (
        <p className="text-sm text-slate-600">
          No {kind === "user" ? "people" : "groups"} match “{debounced}”.
        </p>
      ) : (
        <ul aria-label="Directory results" aria-busy={found.isFetching} className={`divide-y divide-slate-100 ${found.isPlaceholderData ? "opacity-60" : ""}`}>
          {found.data.map((p) => (
            <SearchResult key={p.objectGuid} groupId={groupId} principal={p} member={memberGuids.includes(p.objectGuid.toLowerCase())} onAdded={onAdded} />
          ))}
        </ul>
      )}
    </div>
  );
}

function SearchResult({ groupId, principal, member, onAdded }: { groupId: string; principal: Principal; member: boolean; onAdded: (name: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const add = useMutation(
    trpc.accessGroups.users.add.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.users.list.queryKey({ id: groupId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.groups.list.queryKey() }),
        ]);
        onAdded(principal.name);
      },
      onError: (err) => setError(describeError(err).message),
    }),
  );
  return (
    <li className="py-2">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0 flex-1 basis-60">
          <p className="text-sm font-medium break-words text-slate-900">
            {principal.displayName} {principal.displayName !== principal.name && <span className="font-normal text-slate-500">({principal.name})</span>}
            {principal.disabled && <span className="ml-2 text-xs text-red-700">disabled in the directory</span>}
            {member && <span className="ml-2 text-xs text-emerald-700">member</span>}
          </p>
          <p className="text-xs text-slate-500">
            <Dn value={principal.dn} />
          </p>
        </div>
        <Button
          aria-label={`Add ${principal.name}`}
          pending={add.isPending}
          disabled={member}
          onClick={() => {
            setError(null);
            add.mutate({ id: groupId, objectGuid: principal.objectGuid });
          }}
        >
          Add
        </Button>
      </div>
      <ErrorAlert className="mt-2">{error}</ErrorAlert>
    </li>
  );
}
