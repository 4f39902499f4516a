"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useEffect, useRef } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { isLive } from "@/components/state-badge";
import { MINE_FIRST_INPUT, nextCursor } from "./access-query";
import { AccessRow } from "./access-row";
import { isScheduled, removalPending, rowId, type MyRequest } from "./my-request";

/** Something will change within seconds: a grant on its way in or out, or a start time about to come. */
function moving(r: MyRequest): boolean {
  if (removalPending(r)) return true;
  if (!isLive(r.grantState)) return false;
  return !isScheduled(r) || new Date(r.startsAt!).getTime() - Date.now() < 60_000;
}

/** Brings the row a link points at into view once, and moves focus to it (or to its open extend form). */
function useBringIntoView(requestId: string | null) {
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (!requestId || shown.current === requestId) return;
    const row = document.getElementById(rowId(requestId));
    if (!row) return;
    shown.current = requestId;
    row.scrollIntoView({ block: "start" });
    // An extend form opened by the link has focused its minutes field already.
    if (!row.contains(document.activeElement)) row.focus({ preventScroll: true });
  }, [requestId]);
}

/**
 * The requester's requests and grants. Links from notifications land here: `?request=<requestId>`
 * highlights a request (an extension's id points at the grant it extends) and `?extend=<grantId>`
 * (the "expiring soon" mail) opens that grant's extend form.
 */
export function MyAccess() {
  const trpc = useTRPC();
  const search = useSearchParams();
  const linkedRequestId = search.get("request");
  const extendGrantId = search.get("extend");
  const mine = useInfiniteQuery({
    ...trpc.requests.mine.infiniteQueryOptions(MINE_FIRST_INPUT, { getNextPageParam: nextCursor }),
    // Fast while something is moving, so the state changes show within a second; slow otherwise.
    refetchInterval: (query) => (query.state.data?.pages[0]?.live.some(moving) ? 1000 : 10_000),
  });
  const live = mine.data?.pages[0]?.live ?? [];
  const earlier = mine.data?.pages.flatMap((p) => p.earlier) ?? [];
  const all = [...live, ...earlier];

  const linked = linkedRequestId ? all.find((r) => r.requestId === linkedRequestId || r.pendingExtension?.requestId === linkedRequestId) : undefined;
  const toExtend = extendGrantId ? all.find((r) => r.grantId === extendGrantId) : undefined;
  useBringIntoView((toExtend ?? linked)?.requestId ?? null);
  const missing = mine.data ? (linkedRequestId && !linked) || (extendGrantId && !toExtend) : false;
  const row = (r: MyRequest) => (
    <AccessRow key={r.requestId} request={r} linked={r.requestId === (toExtend ?? linked)?.requestId} extendLinked={r.requestId === toExtend?.requestId} />
  );

  return (
    <section aria-labelledby="my-access-heading">
      <h2 id="my-access-heading" className="mb-3 text-lg font-semibold text-slate-900">
        My access
      </h2>
      {missing && (
        <p className="mb-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {extendGrantId && !toExtend
            ? "The access you followed a link to extend is not among your recent requests."
            : "The request you followed a link to is not among your recent requests. A decided extension shows on the access it extended."}
        </p>
      )}
      {mine.isPending ? (
        <Loading label="Loading your requests…" />
      ) : mine.isError ? (
        <QueryError message={describeError(mine.error).message} onRetry={() => void mine.refetch()} />
      ) : all.length === 0 ? (
        <EmptyState title="You have not requested anything yet">Choose Request on a privilege above; its progress appears here.</EmptyState>
      ) : (
        <>
          {live.length === 0 ? <p className="text-sm text-slate-600">Nothing live or waiting right now.</p> : <ul className="space-y-3">{live.map(row)}</ul>}
          {earlier.length > 0 && (
            <>
              <h3 id="earlier-heading" className="mt-6 mb-2 text-base font-semibold text-slate-900">
                Earlier
              </h3>
              <ul aria-labelledby="earlier-heading" className="space-y-3">
                {earlier.map(row)}
              </ul>
              {mine.hasNextPage && (
                <div className="mt-3">
                  <Button pending={mine.isFetchingNextPage} onClick={() => void mine.fetchNextPage()}>
                    Show earlier requests
                  </Button>
                </div>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
