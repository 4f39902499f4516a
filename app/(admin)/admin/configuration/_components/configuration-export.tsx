"use client";

import { useQuery } from "@tanstack/react-query";
import { Loading, QueryError } from "@/components/alerts";
import { buttonClass } from "@/components/button";
import { Card } from "@/components/page-heading";
import { describeError, useTRPC } from "@/trpc/client";

/** The current configuration: a real file download, and the document itself to read. */
export function ConfigurationExport() {
  const trpc = useTRPC();
  const current = useQuery(trpc.configuration.export.queryOptions());
  return (
    <section aria-labelledby="config-export-heading" className="mb-10">
      <h2 id="config-export-heading" className="mb-1 text-lg font-semibold text-slate-900">
        Export
      </h2>
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        Objects are named by their names, and directory objects by objectGUID with their DN for reading. Secrets are never exported: webhook signing secrets
        stay where they are, and Slack or Teams webhook URLs are written as <code>kept</code>.
      </p>
      <Card className="p-4">
        <div className="flex flex-wrap items-center gap-3">
          {/* A plain link: the browser saves the file the server sends as an attachment. */}
          <a href="/admin/configuration/download" download className={buttonClass("primary")}>
            Download YAML
          </a>
          {current.data && (
            <span className="text-sm text-slate-600">
              {current.data.yaml.split("\n").length} lines · state <code title={current.data.hash}>{current.data.hash.slice(0, 12)}</code>
            </span>
          )}
        </div>
        {current.isPending && <Loading label="Reading the configuration…" />}
        {current.isError && <QueryError message={describeError(current.error).message} onRetry={() => void current.refetch()} />}
        {current.data && (
          <details className="mt-4">
            <summary className="cursor-pointer text-sm font-medium text-indigo-700">Show the document</summary>
            <pre className="mt-2 max-h-96 overflow-auto rounded-md bg-slate-50 p-3 text-xs text-slate-800">{current.data.yaml}</pre>
          </details>
        )}
      </Card>
    </section>
  );
}
