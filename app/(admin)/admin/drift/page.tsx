import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { CheckPanel } from "./_components/check-panel";
import { DriftSettings } from "./_components/drift-settings";
import { FindingsSection } from "./_components/findings-section";
import { ResolvedFindings } from "./_components/resolved-findings";

export const metadata: Metadata = { title: "Drift — Interim" };

export default function DriftPage() {
  return (
    <>
      <PageHeading title="Drift">
        Members of privilege groups that no grant explains: standing access added in Active Directory, and memberships that outlived their grant. Interim checks
        every minute, removes memberships that outlived their grant, and removes standing access only in the groups where you choose so.
      </PageHeading>
      <CheckPanel />
      <FindingsSection />
      <DriftSettings />
      <ResolvedFindings />
    </>
  );
}
