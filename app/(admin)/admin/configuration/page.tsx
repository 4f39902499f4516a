import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { ConfigurationImport } from "./_components/configuration-import";
import { ConfigurationExport } from "./_components/configuration-export";

export const metadata: Metadata = { title: "Configuration — Interim" };

export default function ConfigurationPage() {
  return (
    <>
      <PageHeading title="Configuration as code">
        Every privilege, privilege set, access group (all tabs, notification channels included) and the directory&apos;s replication settings as one YAML
        document. Keep it in version control, review changes there, and import it here: you see what would change before anything is applied, and it is applied
        all at once or not at all.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.configuration.export.queryOptions())]}>
        <ConfigurationExport />
      </Prefetched>
      <ConfigurationImport />
    </>
  );
}
