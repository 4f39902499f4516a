import type { Metadata } from "next";
import { DirectoryStatus } from "./_components/directory-status";
import { EmergencyFlags } from "./_components/emergency-flags";
import { WorkerHeartbeats } from "./_components/worker-heartbeats";

export const metadata: Metadata = { title: "Administration — Interim" };

export default function AdminOverviewPage() {
  return (
    <>
      <EmergencyFlags />
      <DirectoryStatus />
      <WorkerHeartbeats />
    </>
  );
}
