"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { controlClass } from "@/components/form-field";
import { Card } from "@/components/page-heading";
import { useDebounced } from "@/components/use-debounced";
import { PublishForm } from "./publish-form";

export function PublishPanel() {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const groups = useQuery({ ...trpc.privileges.searchGroups.queryOptions({ query: debounced }), placeholderData: keepPreviousData });
  const [selected, setSelected] = useState<string | null>(null);
  const [published, setPublished] = useState<string | null>(null);

  return (
    <section aria-labelledby="publish-heading">
      <Card className="p-4 sm:p-6">
        <h2 id="publish-heading" className="text-lg font-semibold text-slate-900">
          Publish a privilege
        </h2>
        <p className="mt-1 text-sm text-slate-600">Find the Active Directory group that carries the rights, then publish it with its time limits.</p>
        <div className="mt-4 max-w-md space-y-1">
          <label htmlFor="group-search" className="block text-sm font-medium text-slate-800">
            Search directory groups
          </label>
          <input
            id="group-search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Name or description, e.g. admins"
            maxLength={64}
            autoComplete="off"
            className={controlClass(false)}
          />
        </div>
        {published && <SuccessNote className="mt-4">Published “{published}”. People can request it now.</SuccessNote>}
        <div className="mt-4" aria-busy={groups.isFetching}>
          {groups.isPending ? (
            <Loading label="Searching the directory…" />
          ) : groups.isError ? (
            <QueryError message={describeError(groups.error).message} onRetry={() => void groups.refetch()} />
          ) : groups.data.length === 0 ? (
            <EmptyState title={debounced ? `No groups match “${debounced}”` : "No groups found"}>
              Try part of the group&apos;s name or description. Only groups under the privilege base DN are listed.
            </EmptyState>
          ) : (
            // Its own scroll box: the directory's groups (dozens before a search) must not make the page a long column on a phone.
            <ul
              aria-label="Directory groups"
              className={`max-h-[28rem] divide-y divide-slate-100 overflow-y-auto overscroll-contain ${groups.isPlaceholderData ? "opacity-60" : ""}`}
            >
              {groups.data.map((g) => (
                <li key={g.objectGuid} aria-label={g.name} className="py-3">
                  <div className="flex flex-wrap items-start justify-between gap-3">
                    <div className="min-w-0">
                      <div className="font-medium text-slate-900">{g.name}</div>
                      <Dn value={g.dn} className="block text-xs text-slate-500" />
                      {g.description && <div className="mt-0.5 text-sm text-slate-600">{g.description}</div>}
                    </div>
                    {g.published ? (
                      <Button disabled>Published</Button>
                    ) : (
                      selected !== g.objectGuid && (
                        <Button
                          variant="primary"
                          onClick={() => {
                            setPublished(null);
                            setSelected(g.objectGuid);
                          }}
                        >
                          Publish
                        </Button>
                      )
                    )}
                  </div>
                  {selected === g.objectGuid && !g.published && (
                    <PublishForm
                      group={g}
                      onDone={(name) => {
                        setSelected(null);
                        if (name) setPublished(name);
                      }}
                    />
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      </Card>
    </section>
  );
}
