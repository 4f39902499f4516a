"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { QueryError } from "@/components/alerts";
import { useHydrated } from "@/components/use-hydrated";
import { DASHBOARD_RANGES, DEFAULT_RANGE, RANGE_BUCKETS, type DashboardRange } from "@/server/dashboard/schemas";
import { ChartFigure, DataTable } from "./dashboard-figure";
import { bucketLabel, formatSeconds, isEmpty, type Timeline } from "./dashboard-format";
import { ActiveGrantsChart, PercentileChart } from "./dashboard-lazy";

const RANGE_LABELS: Record<DashboardRange, string> = { "24h": "Last 24 hours", "7d": "Last 7 days" };

/** Active grants, expiry lag and grant latency over the last 24 hours (by the hour) or 7 days (by six hours). */
export function DashboardTimeline() {
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const [range, setRange] = useState<DashboardRange>(DEFAULT_RANGE);
  const timeline = useQuery({ ...trpc.dashboard.timeline.queryOptions({ range }), placeholderData: keepPreviousData, refetchInterval: 60_000 });

  return (
    <section aria-labelledby="dashboard-timeline-heading" className="mb-8">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <h2 id="dashboard-timeline-heading" className="text-lg font-semibold text-slate-900">
          Grants over time
        </h2>
        <div role="group" aria-label="Time range" className="flex gap-1.5">
          {DASHBOARD_RANGES.map((r) => (
            <button
              key={r}
              type="button"
              aria-pressed={range === r}
              disabled={!hydrated}
              onClick={() => setRange(r)}
              className={`rounded-full px-3 py-1 text-sm ring-1 ring-inset disabled:opacity-60 ${range === r ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
            >
              {RANGE_LABELS[r]}
            </button>
          ))}
        </div>
      </div>
      {timeline.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          Loading the charts…
        </p>
      ) : timeline.isError ? (
        <QueryError message={describeError(timeline.error).message} onRetry={() => void timeline.refetch()} />
      ) : (
        <TimelineFigures data={timeline.data} busy={timeline.isPlaceholderData} />
      )}
    </section>
  );
}

function TimelineFigures({ data, busy }: { data: Timeline; busy: boolean }) {
  const { stepHours, label } = RANGE_BUCKETS[data.range];
  const bucket = stepHours === 1 ? "hour" : `${stepHours} hours`;
  const firstColumn = stepHours === 1 ? "Hour (UTC)" : `${stepHours} hours from (UTC)`;
  const percentileRows = (points: Timeline["expiryLag"]) =>
    points.map((p) => ({ key: p.start, cells: [bucketLabel(p.start, stepHours), p.count, formatSeconds(p.p50), formatSeconds(p.p95)] }));

  return (
    <div aria-busy={busy} className={`grid gap-6 lg:grid-cols-2 ${busy ? "opacity-70" : ""}`}>
      <div className="lg:col-span-2">
        <ChartFigure
          id="chart-active-grants"
          title="Active grants"
          caption={`Grants that held access at some moment of each ${bucket}, ${label} (times in UTC). Grants still active count up to now.`}
          emptyText={isEmpty(data.activeGrants, (p) => p.active) ? `No grants in ${label}.` : null}
          chart={<ActiveGrantsChart points={data.activeGrants} stepHours={stepHours} />}
          table={
            <DataTable
              caption={`Active grants per ${bucket}, ${label}`}
              columns={[firstColumn, "Active grants"]}
              rows={data.activeGrants.map((p) => ({ key: p.start, cells: [bucketLabel(p.start, stepHours), p.active] }))}
            />
          }
        />
      </div>
      <ChartFigure
        id="chart-grant-latency"
        title="Grant latency"
        caption={`How long after it was due (approved, or its scheduled start) a grant became active: median (p50, solid) and p95 (dashed) per ${bucket}, ${label}.`}
        emptyText={isEmpty(data.grantLatency, (p) => p.count) ? `No grant became active in ${label}.` : null}
        chart={<PercentileChart points={data.grantLatency} stepHours={stepHours} />}
        table={
          <DataTable
            caption={`Grant latency per ${bucket}, ${label}`}
            columns={[firstColumn, "Grants", "p50", "p95"]}
            rows={percentileRows(data.grantLatency)}
          />
        }
      />
      <ChartFigure
        id="chart-expiry-lag"
        title="Expiry lag"
        caption={`How long after its expiry a grant's membership was taken out of the directory: median (p50, solid) and p95 (dashed) per ${bucket}, ${label}.`}
        emptyText={isEmpty(data.expiryLag, (p) => p.count) ? `No grant expired in ${label}.` : null}
        chart={<PercentileChart points={data.expiryLag} stepHours={stepHours} />}
        table={
          <DataTable caption={`Expiry lag per ${bucket}, ${label}`} columns={[firstColumn, "Grants", "p50", "p95"]} rows={percentileRows(data.expiryLag)} />
        }
      />
    </div>
  );
}
