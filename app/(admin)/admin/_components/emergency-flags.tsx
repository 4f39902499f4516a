"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError, useTRPC } from "@/trpc/client";
import { QueryError } from "@/components/alerts";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime, formatWhen } from "@/components/time";

type Emergency = RouterOutputs["overview"]["emergencies"][number];

/**
 * Emergency access is granted at once and reviewed afterwards by the group's approvers. Until one
 * of them does, the overview says so loudly; with nothing waiting it stays one quiet line.
 */
export function EmergencyFlags() {
  const trpc = useTRPC();
  const emergencies = useQuery({ ...trpc.overview.emergencies.queryOptions(), refetchInterval: 30_000 });
  const count = emergencies.data?.length ?? 0;

  return (
    <section aria-labelledby="emergency-flags-heading" className="mb-8">
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <h2 id="emergency-flags-heading" className="text-lg font-semibold text-slate-900">
          Emergency access not yet reviewed
        </h2>
        {count > 0 && (
          <span className="inline-flex min-w-6 items-center justify-center rounded-full bg-red-600 px-2 py-0.5 text-xs font-semibold text-white tabular-nums">
            {count}
            <span className="sr-only"> waiting</span>
          </span>
        )}
      </div>
      {emergencies.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          Loading emergency access…
        </p>
      ) : emergencies.isError ? (
        <QueryError message={describeError(emergencies.error).message} onRetry={() => void emergencies.refetch()} />
      ) : count === 0 ? (
        <p className="text-sm text-slate-600">No emergency access waiting for review.</p>
      ) : (
        <Card className="border-red-200">
          <p className="border-b border-red-100 bg-red-50 px-4 py-3 text-sm text-red-900 sm:px-6">
            Granted without approval. The group&apos;s approvers review each one in their{" "}
            <Link href="/inbox" className="font-medium underline underline-offset-2 hover:text-red-700">
              approvals inbox
            </Link>
            ; until then it stays here.
          </p>
          <ul className="divide-y divide-slate-100">
            {emergencies.data.map((e) => (
              <EmergencyRow key={e.requestId} emergency={e} />
            ))}
          </ul>
        </Card>
      )}
    </section>
  );
}

function EmergencyRow({ emergency: e }: { emergency: Emergency }) {
  return (
    <li aria-label={`Emergency ${e.requester} ${e.privilege}`} className="px-4 py-3 sm:px-6">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <p className="min-w-0 font-medium break-words text-slate-900">
          {e.requesterName} <span className="font-normal text-slate-600">({e.requester})</span> — {e.privilege}
        </p>
        <time dateTime={new Date(e.requestedAt).toISOString()} title={formatDateTime(e.requestedAt)} className="text-xs whitespace-nowrap text-slate-500">
          {formatWhen(e.requestedAt)}
        </time>
      </div>
      <p className="text-xs text-slate-500">{e.accessGroup ? `Access group: ${e.accessGroup}` : "Access group unknown"}</p>
      {e.justification && <p className="mt-1 text-sm break-words text-slate-700">“{e.justification}”</p>}
    </li>
  );
}
