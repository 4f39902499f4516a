import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { CredentialsSection } from "./_components/credentials-section";
import { DevicesSection } from "./_components/devices-section";
import { SyncPanel } from "./_components/sync-panel";

export const metadata: Metadata = { title: "Catalog — Interim" };

export default function CatalogPage() {
  return (
    <>
      <PageHeading title="Catalog">
        The devices and privileged accounts access-group criteria select from. Entries from Active Directory stay in step with it; add tags and websites to
        them, or add what the directory does not know by hand.
      </PageHeading>
      <SyncPanel />
      <DevicesSection />
      <CredentialsSection />
    </>
  );
}
