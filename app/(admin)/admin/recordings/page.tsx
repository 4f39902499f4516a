import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { CommandSearch } from "./_components/command-search";
import { RecordingsList } from "./_components/recordings-list";

export const metadata: Metadata = { title: "Sessions on devices — Interim" };

export default function RecordingsPage() {
  return (
    <>
      <PageHeading title="Sessions on devices">Live and past SSH sessions through Interim, with their commands and recordings.</PageHeading>
      <RecordingsList />
      <CommandSearch />
    </>
  );
}
