import type { Metadata } from "next";
import { readListParams } from "@/components/list-params";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { CredentialsSection } from "./_components/credentials-section";
import { DevicesSection } from "./_components/devices-section";
import { catalogListOptions, catalogPageOf } from "./_components/list-input";
import { SyncPanel } from "./_components/sync-panel";

export const metadata: Metadata = { title: "Catalog — Interim" };

export default async function CatalogPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const devices = catalogPageOf(readListParams(params, catalogListOptions("devices")));
  const credentials = catalogPageOf(readListParams(params, catalogListOptions("credentials")));
  return (
    <>
      <PageHeading title="Catalog">
        The devices and privileged accounts access-group criteria select from. Entries from Active Directory stay in step with it; add tags and websites to
        them, or add what the directory does not know by hand.
      </PageHeading>
      <SyncPanel />
      <Prefetched
        queries={[
          (qc) => qc.prefetchQuery(serverTrpc.catalog.devices.page.queryOptions(devices)),
          (qc) => qc.prefetchQuery(serverTrpc.catalog.credentials.page.queryOptions(credentials)),
        ]}
      >
        <DevicesSection />
        <CredentialsSection />
      </Prefetched>
    </>
  );
}
