"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { QueryError } from "@/components/alerts";
import { Card } from "@/components/page-heading";

/** Seconds after which a worker counts as gone (readiness: server/ops/heartbeat.ts HEARTBEAT_FRESH_SECONDS). */
const FRESH_SECONDS = 60;

/** The workers' heartbeats: without a fresh one nothing is granted or removed. */
export function WorkerHeartbeats() {
  const trpc = useTRPC();
  const workers = useQuery({ ...trpc.overview.workers.queryOptions(), refetchInterval: 15_000 });

  return (
    <section aria-labelledby="workers-heading" className="mb-8">
      <h2 id="workers-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Workers
      </h2>
      {workers.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          Loading workers…
        </p>
      ) : workers.isError ? (
        <QueryError message={describeError(workers.error).message} onRetry={() => void workers.refetch()} />
      ) : !workers.data.some((w) => w.ageSeconds <= FRESH_SECONDS) ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900">
          No worker has reported in the last minute: access is neither granted nor removed until one runs.
        </p>
      ) : null}
      {workers.data && workers.data.length > 0 && (
        <Card>
          <ul className="divide-y divide-slate-100">
            {workers.data.map((w) => (
              <li
                key={`${w.host}:${w.pid}:${String(w.startedAt)}`}
                aria-label={`Worker ${w.host}`}
                className="flex flex-wrap justify-between gap-x-4 px-4 py-2 text-sm sm:px-6"
              >
                <span className="font-medium break-all text-slate-900">
                  {w.host} <span className="font-normal text-slate-500">pid {w.pid}</span>
                </span>
                <span className="text-slate-600">{w.version}</span>
                <span className={w.ageSeconds > FRESH_SECONDS ? "font-medium text-red-700" : "text-slate-600"}>
                  heartbeat {w.ageSeconds} s ago{w.ageSeconds > FRESH_SECONDS ? " (stopped?)" : ""}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
    </section>
  );
}
