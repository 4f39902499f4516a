import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/alerts";
import { PageHeading } from "@/components/page-heading";
import { getQueryClient, HydrateClient, trpc } from "@/trpc/server";
import { ACCESS_FIRST_INPUT, MINE_FIRST_INPUT, nextCursor } from "./_components/access-query";
import { AvailablePrivileges } from "./_components/available-privileges";
import { MyAccess } from "./_components/my-access";
import { SessionsSection } from "./_components/sessions-section";

export const metadata: Metadata = { title: "Request access — Interim" };

/** Rendered per request: the listing and "My access" are fetched here, so the first HTML has them (not "Loading…"). */
export default async function RolesPage() {
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchInfiniteQuery(trpc.requests.access.infiniteQueryOptions(ACCESS_FIRST_INPUT, { getNextPageParam: nextCursor })),
    queryClient.prefetchInfiniteQuery(trpc.requests.mine.infiniteQueryOptions(MINE_FIRST_INPUT, { getNextPageParam: nextCursor })),
  ]);
  return (
    <HydrateClient>
      <PageHeading title="Request access">
        Ask for a privilege for as long as you need it. Interim adds your account to the group and removes it again when the time is up.
      </PageHeading>
      <AvailablePrivileges />
      {/* MyAccess reads the link's ?request= / ?extend= (useSearchParams). */}
      <Suspense fallback={<Loading label="Loading your requests…" />}>
        <MyAccess />
      </Suspense>
      {/* Below the fold on a phone: hydrated on its own, after what is on screen (its fallback never shows). */}
      <Suspense>
        <SessionsSection />
      </Suspense>
    </HydrateClient>
  );
}
