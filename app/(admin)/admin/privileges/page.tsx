import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { PrivilegesTable } from "./_components/privileges-table";
import { PublishPanel } from "./_components/publish-panel";

export const metadata: Metadata = { title: "Privileges — Interim" };

export default function PrivilegesPage() {
  return (
    <>
      <PageHeading title="Privileges">
        Active Directory groups that people can request for a limited time. Disable a privilege to stop new requests; grants already made run their course.
      </PageHeading>
      <PrivilegesTable />
      <PublishPanel />
    </>
  );
}
