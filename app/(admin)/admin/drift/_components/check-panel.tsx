"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { Card } from "@/components/page-heading";
import { When } from "./drift-bits";

const CHECKING_POLL_MS = 1_000;
const IDLE_POLL_MS = 30_000;

/** When the directory was last compared, what it could not read, and "Check now". */
export function CheckPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery({
    ...trpc.drift.status.queryOptions(),
    refetchInterval: (q) => (q.state.data?.checking ? CHECKING_POLL_MS : IDLE_POLL_MS),
  });
  const check = useMutation(trpc.drift.check.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.drift.status.queryKey() }) }));

  // When a check finishes, everything on the page may have changed.
  const checking = status.data?.checking ?? false;
  const wasChecking = useRef(checking);
  useEffect(() => {
    if (wasChecking.current && !checking) void queryClient.invalidateQueries({ queryKey: trpc.drift.pathKey() });
    wasChecking.current = checking;
  }, [checking, queryClient, trpc]);

  return (
    <section aria-labelledby="drift-check-heading" className="mb-8">
      <Card className="p-4 sm:p-6">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h2 id="drift-check-heading" className="text-lg font-semibold text-slate-900">
              Directory check
            </h2>
            <div aria-live="polite" className="mt-1 text-sm text-slate-600">
              {status.isPending ? (
                <p>Loading the last check…</p>
              ) : status.isError ? null : checking ? (
                <p>Checking the privilege groups… (waiting for the worker if it is busy)</p>
              ) : status.data.lastCheck ? (
                <p>
                  Last checked <When at={status.data.lastCheck.checkedAt} className="font-medium text-slate-800" />: {status.data.lastCheck.groupsChecked} group
                  {status.data.lastCheck.groupsChecked === 1 ? "" : "s"} compared.
                </p>
              ) : (
                <p>No check has run yet. The worker checks every minute.</p>
              )}
            </div>
          </div>
          <Button variant="primary" pending={check.isPending || checking} onClick={() => check.mutate()}>
            Check now
          </Button>
        </div>
        {check.isError && <ErrorAlert className="mt-4">{describeError(check.error).message}</ErrorAlert>}
        {status.isError && (
          <div className="mt-4">
            <QueryError message={describeError(status.error).message} onRetry={() => void status.refetch()} />
          </div>
        )}
        {status.data?.lastCheck && status.data.lastCheck.errors.length > 0 && (
          <ErrorAlert className="mt-4">
            <p className="font-medium">
              {status.data.lastCheck.errors.length === 1
                ? "One group could not be checked"
                : `${status.data.lastCheck.errors.length} groups could not be checked`}
              ; drift in {status.data.lastCheck.errors.length === 1 ? "it" : "them"} goes unseen until this is fixed:
            </p>
            <ul className="mt-2 list-disc space-y-1 pl-5">
              {status.data.lastCheck.errors.map((e) => (
                <li key={e.groupDn}>
                  <Dn value={e.groupDn} className="text-xs" />: {e.error}
                </li>
              ))}
            </ul>
          </ErrorAlert>
        )}
      </Card>
    </section>
  );
}
