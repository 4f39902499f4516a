"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { QueryError } from "@/components/alerts";
import { OUTCOME_DAYS, TOP_PRIVILEGE_DAYS } from "@/server/dashboard/schemas";
import { ChartFigure, DataTable } from "./dashboard-figure";
import { bucketLabel, OUTCOMES, type Summary } from "./dashboard-format";
import { OutcomesChart, TopPrivilegesChart } from "./dashboard-lazy";
import { DashboardTiles } from "./dashboard-tiles";

/** The counts (tiles), requests per day by outcome and the most requested privileges. */
export function DashboardSummary() {
  const trpc = useTRPC();
  const summary = useQuery({ ...trpc.dashboard.summary.queryOptions(), refetchInterval: 60_000 });
  if (summary.isPending)
    return (
      <p role="status" className="mb-8 text-sm text-slate-500">
        Loading the dashboard…
      </p>
    );
  if (summary.isError) return <QueryError message={describeError(summary.error).message} onRetry={() => void summary.refetch()} />;
  return (
    <>
      <DashboardTiles counts={summary.data.counts} />
      <RequestFigures data={summary.data} />
    </>
  );
}

function RequestFigures({ data }: { data: Summary }) {
  const total = (p: Summary["outcomes"][number]) => OUTCOMES.reduce((n, o) => n + p[o.key], 0);
  return (
    <section aria-labelledby="dashboard-requests-heading" className="mb-8">
      <h2 id="dashboard-requests-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Requests
      </h2>
      <div className="grid gap-6 lg:grid-cols-2">
        <ChartFigure
          id="chart-request-outcomes"
          title="Requests per day by outcome"
          caption={`Requests (access and extensions) submitted each day of the last ${OUTCOME_DAYS} days (UTC), stacked by where they stand now.`}
          emptyText={data.outcomes.every((p) => total(p) === 0) ? `No requests in the last ${OUTCOME_DAYS} days.` : null}
          chart={<OutcomesChart points={data.outcomes} />}
          table={
            <DataTable
              caption={`Requests per day by outcome, last ${OUTCOME_DAYS} days`}
              columns={["Day (UTC)", ...OUTCOMES.map((o) => o.label), "Total"]}
              rows={data.outcomes.map((p) => ({ key: p.start, cells: [bucketLabel(p.start, 24), ...OUTCOMES.map((o) => p[o.key]), total(p)] }))}
            />
          }
        />
        <ChartFigure
          id="chart-top-privileges"
          title="Most requested privileges"
          caption={`The ${data.topPrivileges.length || 10} privileges asked for most in the last ${TOP_PRIVILEGE_DAYS} days (access requests; a set counts for its first privilege).`}
          emptyText={data.topPrivileges.length === 0 ? `No requests in the last ${TOP_PRIVILEGE_DAYS} days.` : null}
          chart={<TopPrivilegesChart items={data.topPrivileges} />}
          table={
            <DataTable
              caption={`Most requested privileges, last ${TOP_PRIVILEGE_DAYS} days`}
              columns={["Privilege", "Requests", "Approved"]}
              rows={data.topPrivileges.map((p) => ({ key: p.privilegeId, cells: [p.name, p.requests, p.approved] }))}
            />
          }
        />
      </div>
    </section>
  );
}
