import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/alerts";
import { PageHeading } from "@/components/page-heading";
import { AvailablePrivileges } from "./_components/available-privileges";
import { MyAccess } from "./_components/my-access";
import { SessionsSection } from "./_components/sessions-section";

export const metadata: Metadata = { title: "Request access — Interim" };

export default function RolesPage() {
  return (
    <>
      <PageHeading title="Request access">
        Ask for a privilege for as long as you need it. Interim adds your account to the group and removes it again when the time is up.
      </PageHeading>
      <AvailablePrivileges />
      {/* MyAccess reads the link's ?request= / ?extend= (useSearchParams), known only in the browser. */}
      <Suspense fallback={<Loading label="Loading your requests…" />}>
        <MyAccess />
      </Suspense>
      <SessionsSection />
    </>
  );
}
