import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { AuditChainAlerts } from "./audit-chain-alerts";

/** The overview's red banner while the worker's audit-chain check has an unacknowledged alert; prefetched, so it is there on first paint. */
export function AuditChainBanner() {
  return (
    <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.auditChain.open.queryOptions())]}>
      <AuditChainAlerts />
    </Prefetched>
  );
}
