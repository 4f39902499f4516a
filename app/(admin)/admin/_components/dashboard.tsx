import { PageHeading } from "@/components/page-heading";
import { DashboardSummary } from "./dashboard-summary";
import { DashboardTimeline } from "./dashboard-timeline";

/** The overview's dashboard: counts at a glance, then requests and grants over time. */
export function Dashboard() {
  return (
    <>
      <PageHeading title="Overview">
        Where access stands now and how requests and grants went lately. Each chart has its numbers under “Show as table”.
      </PageHeading>
      <DashboardSummary />
      <DashboardTimeline />
    </>
  );
}
