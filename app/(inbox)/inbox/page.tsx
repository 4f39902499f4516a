import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { ApprovalsInbox } from "./_components/approvals-inbox";
import { EmergencyReviews } from "./_components/emergency-reviews";
import { MyDecisions } from "./_components/my-decisions";

export const metadata: Metadata = { title: "Approvals — Interim" };

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `/inbox?request=<id>` (the link a notification will carry) brings that request's card into view. */
export default async function InboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const linkedRequestId = first((await searchParams).request) ?? null;
  return (
    <>
      <PageHeading title="Approvals">Requests wait here for the approvers of their current level. Access is granted once the last level approves.</PageHeading>
      <div className="space-y-10">
        <EmergencyReviews />
        <ApprovalsInbox linkedRequestId={linkedRequestId} />
        <MyDecisions />
      </div>
    </>
  );
}
