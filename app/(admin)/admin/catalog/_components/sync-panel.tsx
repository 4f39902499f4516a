"use client";

import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { formatWhen } from "@/components/time";
import { SyncChanges } from "./sync-changes";

type SyncRun = RouterOutputs["catalog"]["sync"]["byId"];

const POLL_MS = 500;
const isActive = (state: SyncRun["state"] | undefined) => state === "queued" || state === "running";

/** "Sync now", the live progress of the run being watched, and what it changed. */
export function SyncPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = useQuery(trpc.catalog.sync.latest.queryOptions({ limit: 1 }));
  const [requestedId, setRequestedId] = useState<string | null>(null);
  // The run this admin started, else the most recent one (which may still be running).
  const runId = requestedId ?? latest.data?.[0]?.id ?? null;
  const run = useQuery({
    ...trpc.catalog.sync.byId.queryOptions(runId ? { id: runId } : skipToken),
    refetchInterval: (q) => (isActive(q.state.data?.state) ? POLL_MS : false),
  });
  const request = useMutation(trpc.catalog.sync.request.mutationOptions({ onSuccess: (r) => setRequestedId(r.id) }));

  const finishedId = run.data && !isActive(run.data.state) ? run.data.id : null;
  useEffect(() => {
    if (!finishedId) return;
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.devices.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.credentials.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.sync.latest.pathKey() });
  }, [finishedId, queryClient, trpc]);

  const active = isActive(run.data?.state);
  return (
    <section aria-labelledby="sync-heading" className="mb-10">
      <Card className="p-4 sm:p-6">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h2 id="sync-heading" className="text-lg font-semibold text-slate-900">
              Directory sync
            </h2>
            <p className="mt-1 max-w-2xl text-sm text-slate-600">
              Computers and privileged accounts are read from the configured OUs every 15 minutes by default. Tags and websites you add are kept.
            </p>
          </div>
          <Button variant="primary" pending={request.isPending || active} onClick={() => request.mutate()}>
            Sync now
          </Button>
        </div>
        {request.isError && <ErrorAlert className="mt-4">{describeError(request.error).message}</ErrorAlert>}
        <div className="mt-4">
          {latest.isError ? (
            <QueryError message={describeError(latest.error).message} onRetry={() => void latest.refetch()} />
          ) : run.isError ? (
            <QueryError message={describeError(run.error).message} onRetry={() => void run.refetch()} />
          ) : run.data ? (
            <RunStatus run={run.data} />
          ) : latest.data && latest.data.length === 0 ? (
            <p className="text-sm text-slate-600">No sync has run yet.</p>
          ) : (
            <Loading label="Loading the last sync…" />
          )}
        </div>
      </Card>
    </section>
  );
}

function RunStatus({ run }: { run: SyncRun }) {
  const active = run.state === "queued" || run.state === "running";
  const who = run.trigger === "schedule" ? "scheduled" : run.requestedBy ? `requested by ${run.requestedBy}` : "manual";
  return (
    <div className="space-y-4">
      <div aria-live="polite" className="space-y-2">
        <p className="text-sm text-slate-800">
          {run.state === "queued" && "Waiting for the worker to start the sync…"}
          {run.state === "running" && (run.total === 0 ? "Reading the directory…" : `Syncing: ${run.processed} of ${run.total}`)}
          {run.state === "succeeded" && (
            <>
              Last sync finished {formatWhen(run.finishedAt)} ({who}): {run.added} added, {run.updated} updated, {run.removed} removed.
            </>
          )}
          {run.state === "failed" && (
            <>
              Last sync failed {formatWhen(run.finishedAt)} ({who}).
            </>
          )}
        </p>
        <ProgressBar run={run} />
      </div>
      {run.state === "failed" && <ErrorAlert>{run.error ?? "The sync failed."}</ErrorAlert>}
      {!active && (run.state === "succeeded" || run.changes.length > 0) && (
        <details open={run.added + run.updated + run.removed > 0 && run.added + run.updated + run.removed <= 20}>
          <summary className="cursor-pointer text-sm font-medium text-indigo-700">What changed</summary>
          <div className="mt-3">
            <SyncChanges changes={run.changes} total={run.added + run.updated + run.removed} />
          </div>
        </details>
      )}
    </div>
  );
}

/** Determinate once the sync knows how much there is to do; indeterminate (no value) before. */
function ProgressBar({ run }: { run: SyncRun }) {
  const known = run.total > 0;
  const done = run.state === "succeeded";
  const percent = known ? Math.round((run.processed / run.total) * 100) : done ? 100 : 0;
  return (
    <div
      role="progressbar"
      aria-label="Catalog sync progress"
      aria-valuemin={0}
      aria-valuemax={known ? run.total : 100}
      aria-valuenow={known ? run.processed : done ? 100 : undefined}
      aria-valuetext={known ? `${run.processed} of ${run.total}` : done ? "Done" : "Starting"}
      className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div
        className={`h-full rounded-full transition-[width] duration-300 ${run.state === "failed" ? "bg-red-500" : "bg-indigo-600"} ${
          !known && !done ? "w-1/3 animate-pulse" : ""
        }`}
        style={known || done ? { width: `${percent}%` } : undefined}
      />
    </div>
  );
}
