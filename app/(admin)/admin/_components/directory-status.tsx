"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Card, PageHeading } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { Pill } from "@/components/state-badge";
import { formatDateTime } from "@/components/time";

// Its form (react-hook-form, zod and the server's schema) is most of the overview's own JavaScript;
// it renders only once the status has loaded, so it loads then, off the first load (issue 15).
const ReplicationSettings = dynamic(() => import("./replication-settings").then((m) => m.ReplicationSettings), {
  loading: () => <Loading label="Loading the replication settings…" />,
});

type Status = RouterOutputs["directory"]["status"];

function Row({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 px-4 py-3 sm:grid-cols-3 sm:gap-4 sm:px-6">
      <dt className="text-sm font-medium text-slate-600">{term}</dt>
      <dd className="text-sm break-words text-slate-900 sm:col-span-2">{children}</dd>
    </div>
  );
}

const mono = "font-mono text-[13px]";

export function DirectoryStatus() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.directory.status.queryOptions());
  const recheck = useMutation(
    trpc.directory.recheck.mutationOptions({
      // A failed check is stored too (as the last error), so refresh either way.
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.directory.status.queryKey() }),
    }),
  );

  return (
    <>
      <PageHeading
        title="Directory status"
        actions={
          <Button variant="primary" pending={recheck.isPending} onClick={() => recheck.mutate()}>
            {recheck.isPending ? "Checking…" : "Re-check directory"}
          </Button>
        }
      >
        What Interim knows about the Active Directory domain it manages. Connection settings come from the server&apos;s environment.
      </PageHeading>
      {recheck.isError && <ErrorAlert className="mb-4">{describeError(recheck.error).message}</ErrorAlert>}
      {recheck.isSuccess && <SuccessNote className="mb-4">Directory checked at {formatDateTime(recheck.data.checkedAt)}.</SuccessNote>}
      {status.isPending ? (
        <Loading label="Loading directory status…" />
      ) : status.isError ? (
        <QueryError message={describeError(status.error).message} onRetry={() => void status.refetch()} />
      ) : (
        <StatusDetails status={status.data} />
      )}
    </>
  );
}

function StatusDetails({ status }: { status: Status }) {
  const d = status.detected;
  return (
    <div className="space-y-6">
      {d?.lastError && (
        <ErrorAlert>
          <span className="font-medium">Last error:</span> {d.lastError}
        </ErrorAlert>
      )}
      <Card>
        <h2 className="border-b border-slate-100 px-4 py-3 text-base font-semibold sm:px-6">Connection</h2>
        <dl className="divide-y divide-slate-100">
          <Row term="Directory URLs">
            <ul className="space-y-0.5">
              {status.urls.map((u) => (
                <li key={u} className={mono}>
                  {u}
                </li>
              ))}
            </ul>
          </Row>
          <Row term="Base DN">
            <span className={mono}>{status.baseDn}</span>
          </Row>
          <Row term="Service account">
            <span className={mono}>{status.serviceAccount}</span>
          </Row>
          <Row term="Administrators group">
            <span className={mono}>{status.adminGroupDn}</span>
          </Row>
        </dl>
      </Card>

      <Card>
        <h2 className="border-b border-slate-100 px-4 py-3 text-base font-semibold sm:px-6">Detected from the directory</h2>
        {!d || !d.checkedAt ? (
          <p className="px-4 py-6 text-sm text-slate-600 sm:px-6">Not checked yet. Choose Re-check directory to read the domain&apos;s settings.</p>
        ) : (
          <dl className="divide-y divide-slate-100">
            <Row term="Last checked">{formatDateTime(d.checkedAt)}</Row>
            <Row term="Domain">
              <span className={mono}>{d.domainDn ?? "Unknown"}</span>
            </Row>
            <Row term="Domain controllers">
              {d.domainControllers?.length ? (
                <ul className="space-y-0.5">
                  {d.domainControllers.map((dc) => (
                    <li key={dc.serverDn}>
                      <span className={mono}>{dc.hostName}</span>
                      {dc.site && <span className="text-slate-500"> · site {dc.site}</span>}
                    </li>
                  ))}
                </ul>
              ) : (
                "None found"
              )}
            </Row>
            <Row term="Privileged Access Management feature">
              <Pill on={d.pamFeatureEnabled === true}>{d.pamFeatureEnabled ? "On" : "Off"}</Pill>
              <p className="mt-1.5 text-slate-600">
                Time-limited (TTL) group membership needs the forest&apos;s Privileged Access Management optional feature (Windows Server 2016 forest functional
                level or later). Samba AD has none.{" "}
                {d.pamFeatureEnabled
                  ? "It is on here, so memberships can expire in the directory itself."
                  : "It is off here, so Interim removes every membership itself when its time is up."}
              </p>
            </Row>
            <Row term="Account lockout threshold">
              {d.lockoutThreshold ? `${d.lockoutThreshold} failed sign-ins` : "No lockout"}
              <p className="mt-1.5 text-slate-600">
                Interim stops accepting a user&apos;s password before this many failures, so its sign-in page can never be what locks an account.
              </p>
            </Row>
          </dl>
        )}
      </Card>

      <ReplicationSettings settings={status.replication} discovered={d?.domainControllers?.map((dc) => dc.hostName) ?? []} />

      <Card>
        <h2 className="border-b border-slate-100 px-4 py-3 text-base font-semibold sm:px-6">When access truly ends</h2>
        <dl className="divide-y divide-slate-100">
          <Row term="Kerberos max ticket age">
            {status.kerberosMaxTicketAgeHours} hours
            <p className="mt-1.5 text-slate-600">
              Removed access can persist in already-issued Kerberos tickets for up to {status.kerberosMaxTicketAgeHours} hours: taking an account out of a group
              does not shrink tickets the domain controller has already issued. With TTL membership the domain controller caps a ticket&apos;s lifetime at the
              time left.
            </p>
          </Row>
        </dl>
      </Card>
    </div>
  );
}
