import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { PrivilegeSets } from "./_components/privilege-sets";

export const metadata: Metadata = { title: "Privilege sets — Interim" };

export default function PrivilegeSetsPage() {
  return (
    <>
      <PageHeading title="Privilege sets">
        Privileges granted together, with the privileged accounts allowed to use them. A request for a set is approved once and grants every privilege in it or
        none: if one cannot be granted, the others are taken back. Disable a set to stop new requests.
      </PageHeading>
      <PrivilegeSets />
    </>
  );
}
