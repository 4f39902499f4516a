import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { OpenSessions } from "./open-sessions";

export const metadata: Metadata = { title: "Sessions — Interim" };

export default function SessionsPage() {
  return (
    <>
      <PageHeading title="Sessions">
        Who is signed in. A session ends after a period without activity, at its maximum length, when its account is disabled, locked, expired or deleted in
        Active Directory, or when you end it here: the person&apos;s next call is refused and they must sign in again.
      </PageHeading>
      <OpenSessions />
    </>
  );
}
