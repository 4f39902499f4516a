import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { getQueryClient, trpc } from "@/trpc/server";
import { ApprovalsInbox } from "./_components/approvals-inbox";
import { EmergencyReviews } from "./_components/emergency-reviews";
import { MyDecisions } from "./_components/my-decisions";

export const metadata: Metadata = { title: "Approvals — Interim" };

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `/inbox?request=<id>` (the link a notification will carry) brings that request's card into view.
 * The three lists are fetched here, with the caller's session and procedure checks, so the first
 * HTML holds them; the browser then polls with trpc/call.ts. A failed fetch is left to the browser.
 */
export default async function InboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const linkedRequestId = first((await searchParams).request) ?? null;
  const qc = getQueryClient();
  const [emergencies, inbox, history] = await Promise.all([
    qc.fetchQuery(trpc.approvals.emergencies.queryOptions()).catch(() => undefined),
    qc.fetchQuery(trpc.approvals.inbox.queryOptions()).catch(() => undefined),
    qc.fetchQuery(trpc.approvals.history.queryOptions()).catch(() => undefined),
  ]);
  return (
    <>
      <PageHeading title="Approvals">Requests wait here for the approvers of their current level. Access is granted once the last level approves.</PageHeading>
      <div className="space-y-10">
        <EmergencyReviews initial={emergencies} />
        <ApprovalsInbox linkedRequestId={linkedRequestId} initial={inbox} />
        <MyDecisions initial={history} />
      </div>
    </>
  );
}
