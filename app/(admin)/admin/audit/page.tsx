import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { AuditTrail } from "./_components/audit-trail";
import { VerifyChain } from "./_components/verify-chain";

export const metadata: Metadata = { title: "Audit trail — Interim" };

export default function AuditPage() {
  return (
    <>
      <PageHeading title="Audit trail" actions={<VerifyChain />}>
        Every sign-in, request, grant and change, newest first. Each event carries the hash of the one before it, so an edited or deleted event breaks the
        chain.
      </PageHeading>
      <AuditTrail />
    </>
  );
}
