import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { AccessGroupsList } from "./_components/access-groups-list";

export const metadata: Metadata = { title: "Access groups — Interim" };

export default function AccessGroupsPage() {
  return (
    <>
      <PageHeading title="Access groups">
        Who may request what, when, from where and with whose approval. A person sees the privileges and accounts of every enabled group they are an active
        member of.
      </PageHeading>
      <AccessGroupsList />
    </>
  );
}
