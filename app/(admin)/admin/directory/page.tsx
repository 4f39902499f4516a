import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { SetupAssistant } from "./_components/setup-assistant";

export const metadata: Metadata = { title: "Directory set-up — Interim" };

export default function DirectorySetupPage() {
  return (
    <>
      <PageHeading title="Directory set-up">
        What the service account needs for the configuration as it stands, whether the directory gives it, and the commands that delegate it — least privilege:
        each right on the objects that need it and nothing more. The checks only read the directory.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.directory.setup.queryOptions())]}>
        <SetupAssistant />
      </Prefetched>
    </>
  );
}
