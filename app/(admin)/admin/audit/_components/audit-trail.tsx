"use client";

import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import { Button, buttonClass } from "@/components/button";
import { Card } from "@/components/page-heading";
import { useDebounced } from "@/components/use-debounced";
import { AuditFilters, NO_FILTERS, type AuditFilterValues } from "./audit-filters";
import { AuditRow } from "./audit-row";
import { AUDIT_PAGE_SIZE as PAGE_SIZE, exportHref } from "./list-input";
const th = "px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";

function toDate(local: string): Date | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function AuditTrail() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<AuditFilterValues>(NO_FILTERS);
  const actor = useDebounced(filters.actor.trim(), 300);
  const q = useDebounced(filters.q.trim(), 300);
  const applied = { q: q || undefined, action: filters.action || undefined, actor: actor || undefined, from: toDate(filters.from), to: toDate(filters.to) };
  const input = { ...applied, limit: PAGE_SIZE };
  // Pages are keyed by the filters they were loaded under; new filters start again from the newest event.
  const filterKey = JSON.stringify(input);
  const [paging, setPaging] = useState<{ key: string; cursors: number[] }>({ key: filterKey, cursors: [] });
  const cursors = paging.key === filterKey ? paging.cursors : [];

  const pages = useQueries({
    queries: [undefined, ...cursors].map((beforeSeq) => trpc.audit.list.queryOptions({ ...input, beforeSeq })),
  });
  const first = pages[0]!;
  const last = pages[pages.length - 1]!;
  const events = pages.flatMap((p) => p.data ?? []);
  const lastEvent = events[events.length - 1];
  const loadingMore = cursors.length > 0 && last.isPending;
  const hasMore = loadingMore || last.data?.length === PAGE_SIZE;

  return (
    <>
      <AuditFilters value={filters} onChange={setFilters} />
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <a href={exportHref("csv", applied)} download className={buttonClass("secondary")}>
          Export CSV
        </a>
        <a href={exportHref("jsonl", applied)} download className={buttonClass("secondary")}>
          Export JSON lines
        </a>
        <p className="text-sm text-slate-500">Every event matching the filters above, oldest first (the export is itself audited).</p>
      </div>
      {first.isPending ? (
        <Loading label="Loading events…" />
      ) : first.isError ? (
        <QueryError message={describeError(first.error).message} onRetry={() => void first.refetch()} />
      ) : events.length === 0 ? (
        <EmptyState title="No events match these filters">Widen the time range or choose All actions.</EmptyState>
      ) : (
        <>
          <Card className="overflow-x-auto">
            <table className="w-full min-w-[720px] divide-y divide-slate-200">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>
                    Time
                  </th>
                  <th scope="col" className={th}>
                    Actor
                  </th>
                  <th scope="col" className={th}>
                    Action
                  </th>
                  <th scope="col" className={th}>
                    Target
                  </th>
                  <th scope="col" className={th}>
                    <span className="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {events.map((e) => (
                  <AuditRow key={e.seq} event={e} />
                ))}
              </tbody>
            </table>
          </Card>
          <div className="mt-4 flex flex-wrap items-center justify-between gap-3">
            <p className="text-sm text-slate-500">
              Showing {events.length} {events.length === 1 ? "event" : "events"}
              {hasMore ? "" : " (all of them)"}
            </p>
            {last.isError && <QueryError message={describeError(last.error).message} onRetry={() => void last.refetch()} />}
            {hasMore && lastEvent && (
              <Button pending={loadingMore} onClick={() => setPaging({ key: filterKey, cursors: [...cursors, lastEvent.seq] })}>
                Load more
              </Button>
            )}
          </div>
        </>
      )}
    </>
  );
}
