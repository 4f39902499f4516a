import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { AuditTrail } from "./_components/audit-trail";
import { AUDIT_PAGE_SIZE } from "./_components/list-input";
import { VerifyChain } from "./_components/verify-chain";

export const metadata: Metadata = { title: "Audit trail — Interim" };

export default function AuditPage() {
  return (
    <>
      <PageHeading title="Audit trail" actions={<VerifyChain />}>
        Every sign-in, request, grant and change, newest first. Each event carries the hash of the one before it, so an edited or deleted event breaks the
        chain.
      </PageHeading>
      <Prefetched
        queries={[
          (qc) => qc.prefetchQuery(serverTrpc.audit.list.queryOptions({ limit: AUDIT_PAGE_SIZE })),
          (qc) => qc.prefetchQuery(serverTrpc.audit.actions.queryOptions()),
        ]}
      >
        <AuditTrail />
      </Prefetched>
    </>
  );
}
