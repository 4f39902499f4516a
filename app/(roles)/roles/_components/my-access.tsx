"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import { isLive } from "@/components/state-badge";
import { AccessRow } from "./access-row";

export function MyAccess() {
  const trpc = useTRPC();
  const mine = useQuery({
    ...trpc.requests.mine.queryOptions(),
    // Fast while something is moving, so the state changes show within a second; slow otherwise.
    refetchInterval: (query) => (query.state.data?.some((r) => isLive(r.grantState)) ? 1000 : 10_000),
  });

  return (
    <section aria-labelledby="my-access-heading">
      <h2 id="my-access-heading" className="mb-3 text-lg font-semibold text-slate-900">
        My access
      </h2>
      {mine.isPending ? (
        <Loading label="Loading your requests…" />
      ) : mine.isError ? (
        <QueryError message={describeError(mine.error).message} onRetry={() => void mine.refetch()} />
      ) : mine.data.length === 0 ? (
        <EmptyState title="You have not requested anything yet">Choose Request on a privilege above; its progress appears here.</EmptyState>
      ) : (
        <ul className="space-y-3">
          {mine.data.map((r) => (
            <AccessRow key={r.requestId} request={r} />
          ))}
        </ul>
      )}
    </section>
  );
}
