import type { Metadata } from "next";
import { readListParams } from "@/components/list-params";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { GRANT_LIST_FILTERS, GRANT_PAGE_SIZE, grantPageOf } from "./list-input";
import { LiveGrants } from "./live-grants";

export const metadata: Metadata = { title: "Active grants — Interim" };

export default async function GrantsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = grantPageOf(readListParams(await searchParams, { filters: GRANT_LIST_FILTERS, pageSize: GRANT_PAGE_SIZE }));
  return (
    <>
      <PageHeading title="Active grants">
        Everyone who holds a privilege now or is about to. Revoking takes the account out of the group within seconds; Kerberos tickets already issued may carry
        the access until they expire.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.grants.page.queryOptions(input))]}>
        <LiveGrants />
      </Prefetched>
    </>
  );
}
