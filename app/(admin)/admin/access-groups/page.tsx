import type { Metadata } from "next";
import { readListParams } from "@/components/list-params";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { AccessGroupsList } from "./_components/access-groups-list";
import { ACCESS_GROUP_FILTERS, ACCESS_GROUP_PAGE_SIZE, accessGroupPageOf } from "./_components/list-input";

export const metadata: Metadata = { title: "Access groups — Interim" };

export default async function AccessGroupsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = accessGroupPageOf(readListParams(await searchParams, { filters: ACCESS_GROUP_FILTERS, pageSize: ACCESS_GROUP_PAGE_SIZE }));
  return (
    <>
      <PageHeading title="Access groups">
        Who may request what, when, from where and with whose approval. A person sees the privileges and accounts of every enabled group they are an active
        member of.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.accessGroups.groups.page.queryOptions(input))]}>
        <AccessGroupsList />
      </Prefetched>
    </>
  );
}
