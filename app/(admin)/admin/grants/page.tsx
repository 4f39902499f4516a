import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { LiveGrants } from "./live-grants";

export const metadata: Metadata = { title: "Active grants — Interim" };

export default function GrantsPage() {
  return (
    <>
      <PageHeading title="Active grants">
        Everyone who holds a privilege now or is about to. Revoking takes the account out of the group within seconds; Kerberos tickets already issued may carry
        the access until they expire.
      </PageHeading>
      <LiveGrants />
    </>
  );
}
