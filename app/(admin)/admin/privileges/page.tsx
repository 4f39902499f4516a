import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { readListParams } from "@/components/list-params";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { PRIVILEGE_FILTERS, PRIVILEGE_PAGE_SIZE, privilegePageOf } from "./_components/list-input";
import { PrivilegesTable } from "./_components/privileges-table";
import { PublishPanel } from "./_components/publish-panel";

export const metadata: Metadata = { title: "Privileges — Interim" };

export default async function PrivilegesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = privilegePageOf(readListParams(await searchParams, { filters: PRIVILEGE_FILTERS, pageSize: PRIVILEGE_PAGE_SIZE }));
  return (
    <>
      <PageHeading title="Privileges">
        Active Directory groups that people can request for a limited time. Disable a privilege to stop new requests; grants already made run their course.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.privileges.page.queryOptions(input))]}>
        <PrivilegesTable />
      </Prefetched>
      <PublishPanel />
    </>
  );
}
