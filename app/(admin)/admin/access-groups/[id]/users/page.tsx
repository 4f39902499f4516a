import type { QueryClient } from "@tanstack/react-query";
import type { Metadata } from "next";
import { readListParams } from "@/components/list-params";
import { groupIdInput } from "@/server/access-groups/schemas";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { MEMBER_FILTERS, MEMBER_PAGE_SIZE, memberPageOf } from "../../_components/list-input";
import { UsersTab } from "./users-tab";

export const metadata: Metadata = { title: "Access group users — Interim" };

export default async function AccessGroupUsersPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const input = memberPageOf(id, readListParams(await searchParams, { filters: MEMBER_FILTERS, pageSize: MEMBER_PAGE_SIZE }));
  // The layout answers 404 for an id that is not a UUID; prefetching it would only log a refusal.
  const queries = groupIdInput.safeParse({ id }).success ? [(qc: QueryClient) => qc.prefetchQuery(serverTrpc.accessGroups.users.page.queryOptions(input))] : [];
  return (
    <Prefetched queries={queries}>
      <UsersTab groupId={id} />
    </Prefetched>
  );
}
