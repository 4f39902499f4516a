import type { Metadata } from "next";
import { DEFAULT_RANGE } from "@/server/dashboard/schemas";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { AuditChainBanner } from "./_components/audit-chain-banner";
import { Dashboard } from "./_components/dashboard";
import { DirectoryStatus } from "./_components/directory-status";
import { EmergencyFlags } from "./_components/emergency-flags";
import { WorkerHeartbeats } from "./_components/worker-heartbeats";
import { OutageBanner } from "./_components/outage-banner";
import { SiemStatus } from "./_components/siem-status";

export const metadata: Metadata = { title: "Administration — Interim" };

export default function AdminOverviewPage() {
  return (
    <>
      <AuditChainBanner />
      <OutageBanner />
      {/* The dashboard, the emergencies and the workers paint with their data (server prefetch). */}
      <Prefetched
        queries={[
          (qc) => qc.prefetchQuery(serverTrpc.dashboard.summary.queryOptions()),
          (qc) => qc.prefetchQuery(serverTrpc.dashboard.timeline.queryOptions({ range: DEFAULT_RANGE })),
          (qc) => qc.prefetchQuery(serverTrpc.overview.emergencies.queryOptions()),
          (qc) => qc.prefetchQuery(serverTrpc.overview.workers.queryOptions()),
        ]}
      >
        <Dashboard />
        <EmergencyFlags />
        <WorkerHeartbeats />
      </Prefetched>
      <DirectoryStatus />
      <SiemStatus />
    </>
  );
}
