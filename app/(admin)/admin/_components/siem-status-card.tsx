"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { QueryError } from "@/components/alerts";
import { Card } from "@/components/page-heading";
import { Pill } from "@/components/state-badge";
import { formatDateTime } from "@/components/time";

function Row({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 px-4 py-2 sm:grid-cols-3 sm:gap-4 sm:px-6">
      <dt className="text-sm font-medium text-slate-600">{term}</dt>
      <dd className="text-sm break-words text-slate-900 sm:col-span-2">{children}</dd>
    </div>
  );
}

/** Where the audit trail goes (server/siem/): the target, the confirmed cursor, the backlog and the last error. */
export function SiemStatusCard() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.siem.status.queryOptions(), refetchInterval: 10_000 });

  return (
    <section aria-labelledby="siem-heading" className="mb-8">
      <h2 id="siem-heading" className="mb-3 text-lg font-semibold text-slate-900">
        SIEM export
      </h2>
      {status.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          Loading the SIEM export…
        </p>
      ) : status.isError ? (
        <QueryError message={describeError(status.error).message} onRetry={() => void status.refetch()} />
      ) : !status.data.enabled ? (
        <Card>
          <p className="px-4 py-3 text-sm text-slate-600 sm:px-6">
            Off: the audit trail is not sent to a SIEM. Set <code className="font-mono text-[13px]">SIEM_SYSLOG_URL</code> in the worker&apos;s environment to
            stream it over syslog (TCP or TLS).
          </p>
        </Card>
      ) : (
        <Card>
          {status.data.lastError && (
            <p role="alert" className="border-b border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900 sm:px-6">
              Last error{status.data.lastErrorAt ? ` (${formatDateTime(status.data.lastErrorAt)})` : ""}: {status.data.lastError}
            </p>
          )}
          <dl className="divide-y divide-slate-100">
            <Row term="Target">
              <span className="font-mono text-[13px]">{status.data.target ?? "—"}</span> {status.data.format?.toUpperCase()}{" "}
              <Pill on={Boolean(status.data.tls)}>{status.data.tls ? "TLS" : "no TLS"}</Pill>
            </Row>
            <Row term="Exporter">{status.data.running ? "running" : "no worker is exporting (is a worker running with SIEM_SYSLOG_URL?)"}</Row>
            <Row term="Last confirmed">
              {status.data.lastSentSeq > 0 ? `event #${status.data.lastSentSeq}, ${formatDateTime(status.data.lastSentAt)}` : "nothing yet"}
            </Row>
            <Row term="Backlog">
              <span className={status.data.backlog > 1000 ? "font-medium text-amber-800" : undefined}>
                {status.data.backlog.toLocaleString("en")} event{status.data.backlog === 1 ? "" : "s"}
              </span>
            </Row>
          </dl>
        </Card>
      )}
    </section>
  );
}
