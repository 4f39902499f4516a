"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { formatDateTime } from "@/components/time";

const hhmm = (d: Date | string) => new Date(d).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * While no DC answers the worker's writes (an open outage), one line per outage says since when
 * and what waits; the worker resumes it all the moment a DC answers again. Nothing otherwise.
 */
export function OutageBanner() {
  const trpc = useTRPC();
  const outages = useQuery({ ...trpc.overview.directoryOutages.queryOptions(), refetchInterval: 5_000 });
  if (!outages.data?.length) return null;
  return (
    <div className="mb-6 space-y-2">
      {outages.data.map((o) => (
        <p key={o.dcHosts.join(",")} role="alert" className="rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900" title={o.lastError}>
          <strong>Directory {o.dcHosts.join(", ")} unreachable</strong> since{" "}
          <time dateTime={new Date(o.since).toISOString()} title={formatDateTime(o.since)}>
            {hhmm(o.since)}
          </time>{" "}
          — {o.removalsWaiting} {o.removalsWaiting === 1 ? "removal" : "removals"} waiting
          {o.activationsWaiting > 0 ? `, ${o.activationsWaiting} ${o.activationsWaiting === 1 ? "activation" : "activations"}` : ""}. They run the moment it
          answers again.
        </p>
      ))}
    </div>
  );
}
