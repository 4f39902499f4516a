import type { Metadata } from "next";
import { AuditChainBanner } from "./_components/audit-chain-banner";
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
      <EmergencyFlags />
      <DirectoryStatus />
      <WorkerHeartbeats />
      <SiemStatus />
    </>
  );
}
