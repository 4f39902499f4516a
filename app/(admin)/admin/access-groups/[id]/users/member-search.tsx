"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";
import { DirectoryResults, DirectorySearchBox, PrincipalSummary } from "../../_components/directory-search";

type Principal = RouterOutputs["accessGroups"]["users"]["search"][number];
type Kind = "user" | "group";

export function MemberSearch({ groupId, onAdded }: { groupId: string; onAdded: (name: string) => void }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<Kind>("user");
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const found = useQuery({
    ...trpc.accessGroups.users.search.queryOptions({ kind, query: debounced, groupId }),
    enabled: debounced !== "",
    // While typing, keep the last results on screen; never show people under "Groups" or the reverse.
    placeholderData: (previous, previousQuery) =>
      (previousQuery?.queryKey[1] as { input?: { kind?: Kind } } | undefined)?.input?.kind === kind ? previous : undefined,
  });

  return (
    <div className="max-w-3xl space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_auto] sm:items-start">
        <DirectorySearchBox id="member-search" label="Search the directory" value={query} onChange={setQuery} />
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
      <DirectoryResults
        term={debounced}
        results={found}
        noMatch={`No ${kind === "user" ? "people" : "groups"} match “${debounced}”.`}
        label="Directory results"
      >
        {(principals) => principals.map((p) => <SearchResult key={p.objectGuid} groupId={groupId} principal={p} member={p.member} onAdded={onAdded} />)}
      </DirectoryResults>
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
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.users.page.queryKey({ id: groupId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.users.search.queryKey({ groupId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.groups.page.queryKey() }),
        ]);
        onAdded(principal.name);
      },
      onError: (err) => setError(describeError(err).message),
    }),
  );
  return (
    <li className="py-2">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <PrincipalSummary principal={principal} showName={principal.displayName !== principal.name} mark={member ? "member" : null} />
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
