import type { Metadata } from "next";
import { PageHeading } from "@/components/page-heading";
import { Prefetched, serverTrpc } from "@/trpc/prefetch";
import { ApiTokens } from "./_components/api-tokens";

export const metadata: Metadata = { title: "API tokens — Interim" };

export default function ApiTokensPage() {
  return (
    <>
      <PageHeading title="API tokens">
        Tokens for the REST API at <code>/api/v1</code> (its description:{" "}
        <a className="text-indigo-700 underline" href="/api/v1/openapi.json">
          openapi.json
        </a>
        ). A token acts for the admin who created it, only within its scopes, and stops working when it expires, is revoked, or its creator is no longer an
        admin or may no longer sign in. Approving always needs a person. Every call is in the audit trail under the token&apos;s name.
      </PageHeading>
      <Prefetched queries={[(qc) => qc.prefetchQuery(serverTrpc.apiTokens.list.queryOptions())]}>
        <ApiTokens />
      </Prefetched>
    </>
  );
}
