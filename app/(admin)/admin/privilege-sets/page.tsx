import type { Metadata } from "next";
import { readListParams } from "@/components/list-params";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { PRIVILEGE_SET_FILTERS, PRIVILEGE_SET_PAGE_SIZE, privilegeSetPageOf } from "./_components/list-input";
import { PrivilegeSets } from "./_components/privilege-sets";

export const metadata: Metadata = { title: "Privilege sets — Interim" };

export default async function PrivilegeSetsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = privilegeSetPageOf(readListParams(await searchParams, { filters: PRIVILEGE_SET_FILTERS, pageSize: PRIVILEGE_SET_PAGE_SIZE }));
  return (
    <>
      <PageHeading title="Privilege sets">
        Privileges granted together, with the privileged accounts allowed to use them. A request for a set is approved once and grants every privilege in it or
        none: if one cannot be granted, the others are taken back. Disable a set to stop new requests.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.privilegeSets.page.queryOptions(input))]}>
        <PrivilegeSets />
      </Prefetched>
    </>
  );
}
