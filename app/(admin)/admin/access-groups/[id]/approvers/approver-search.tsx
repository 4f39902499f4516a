"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/client";
import { Button } from "@/components/button";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";
import { DirectoryResults, DirectorySearchBox, PrincipalSummary } from "../../_components/directory-search";

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
      <DirectorySearchBox id="approver-search" label="Search people" value={query} onChange={setQuery} />
      <DirectoryResults term={debounced} results={people} noMatch={`No one matches “${debounced}”.`} label="People found">
        {(found) =>
          found.map((p) => {
            const already = listed.includes(p.objectGuid.toLowerCase());
            return (
              <li key={p.objectGuid} className="flex flex-wrap items-center justify-between gap-3 py-2">
                <PrincipalSummary principal={p} showName mark={already ? "listed" : null} />
                <Button aria-label={`Add ${p.name}`} onClick={() => onAdd(p)} disabled={already || p.disabled}>
                  Add
                </Button>
              </li>
            );
          })
        }
      </DirectoryResults>
    </div>
  );
}
