import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { SiemStatusCard } from "./siem-status-card";

/** The SIEM export on the overview, its status fetched during the render (content on first paint). */
export function SiemStatus() {
  return (
    <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.siem.status.queryOptions())]}>
      <SiemStatusCard />
    </Prefetched>
  );
}
