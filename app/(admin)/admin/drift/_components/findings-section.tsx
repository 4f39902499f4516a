"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { Dn } from "@/components/dn";
import { ListToolbar, Pager } from "@/components/list-toolbar";
import { Card } from "@/components/page-heading";
import { useListState } from "@/components/use-list-state";
import type { FINDING_STATES } from "@/server/drift/schemas";
import { KindTag, MemberClassTag, When, type DriftFinding } from "./drift-bits";

const th = "px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";
// Below `sm` each row becomes a small card, so a phone can act on a finding without side-scrolling.
const td = "px-4 py-3 align-top text-sm max-sm:min-w-0 max-sm:p-0";

/** Open findings to act on, then the accepted ones that still stand: each list searched and paged on the server. */
export function FindingsSection() {
  const open = useFindings("open");
  const accepted = useFindings("accepted");
  const openCount = open.findings.data?.total ?? 0;
  const acceptedShown = (accepted.findings.data?.total ?? 0) > 0 || accepted.list.q !== "" || accepted.list.page > 1;

  return (
    <>
      <section aria-labelledby="drift-open-heading" className="mb-10 space-y-3">
        <div className="flex flex-wrap items-center gap-2">
          <h2 id="drift-open-heading" className="text-lg font-semibold text-slate-900">
            Open findings
          </h2>
          {openCount > 0 && !open.list.q && (
            <span className="inline-flex min-w-6 items-center justify-center rounded-full bg-amber-500 px-2 py-0.5 text-xs font-semibold text-white tabular-nums">
              {openCount}
              <span className="sr-only"> open</span>
            </span>
          )}
        </div>
        <FindingsList {...open} caption="Open findings" empty="Every member of a privilege group is explained by a grant, or has been accepted." />
      </section>
      {acceptedShown && (
        <section aria-labelledby="drift-accepted-heading" className="mb-10 space-y-3">
          <h2 id="drift-accepted-heading" className="text-lg font-semibold text-slate-900">
            Accepted standing access
          </h2>
          <p className="max-w-3xl text-sm text-slate-600">
            Left in place by an administrator. An acceptance lasts while the member stays in the group; if the member leaves and is added again, it is a new
            finding.
          </p>
          <FindingsList {...accepted} caption="Accepted standing access" empty="No accepted standing access matches." />
        </section>
      )}
    </>
  );
}

function useFindings(state: (typeof FINDING_STATES)[number]) {
  const trpc = useTRPC();
  const list = useListState({ prefix: state });
  const findings = useQuery({
    ...trpc.drift.findingsPage.queryOptions({ q: list.q, page: list.page, pageSize: list.pageSize, state }),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  return { list, findings };
}

function FindingsList({ list, findings, caption, empty }: ReturnType<typeof useFindings> & { caption: string; empty: string }) {
  const total = findings.data?.total;
  return (
    <>
      <ListToolbar state={list} searchLabel={`Search ${caption.toLowerCase()}`} placeholder="Member, privilege or DN" total={total} noun="findings" />
      {findings.isPending ? (
        <Loading label="Loading findings…" />
      ) : findings.isError ? (
        <QueryError message={describeError(findings.error).message} onRetry={() => void findings.refetch()} />
      ) : findings.data.items.length === 0 ? (
        list.q || list.page > 1 ? (
          <EmptyState title="No finding matches">Try part of a member&apos;s name, a privilege or a DN.</EmptyState>
        ) : (
          <EmptyState title="No drift found">{empty}</EmptyState>
        )
      ) : (
        <FindingsTable findings={findings.data.items} caption={caption} />
      )}
      <Pager state={list} total={total} label={`${caption} pages`} />
    </>
  );
}

function FindingsTable({ findings, caption }: { findings: DriftFinding[]; caption: string }) {
  return (
    <Card className="overflow-x-auto">
      <table className="w-full divide-y divide-slate-200 max-sm:block sm:min-w-[720px]">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50 max-sm:sr-only">
          <tr>
            <th scope="col" className={th}>
              Member
            </th>
            <th scope="col" className={th}>
              Privilege group
            </th>
            <th scope="col" className={th}>
              Finding
            </th>
            <th scope="col" className={th}>
              Seen
            </th>
            <th scope="col" className={th}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 max-sm:block">
          {findings.map((f) => (
            <FindingRow key={f.id} finding={f} />
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function FindingRow({ finding: f }: { finding: DriftFinding }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.drift.pathKey() });
  const accept = useMutation(trpc.drift.accept.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.drift.remove.mutationOptions({ onSettled: refresh }));
  const error = accept.error ?? remove.error;

  return (
    <tr aria-label={`${f.memberName} in ${f.privilege}`} className="max-sm:grid max-sm:grid-cols-2 max-sm:gap-x-4 max-sm:gap-y-3 max-sm:p-4">
      <td className={`${td} max-sm:col-span-2`}>
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium break-all text-slate-900">{f.memberName}</span>
          <MemberClassTag memberClass={f.memberClass} />
        </div>
        <Dn value={f.memberDn} className="text-xs text-slate-500" />
      </td>
      <td className={`${td} max-sm:col-span-2`}>
        <div className="text-slate-900">{f.privilege}</div>
        <Dn value={f.groupDn} className="text-xs text-slate-500" />
      </td>
      <td className={td}>
        <KindTag kind={f.kind} />
        {f.note && <p className="mt-1 max-w-xs text-xs text-slate-600">{f.note}</p>}
        {f.resolution === "accepted" && (
          <p className="mt-1 text-xs text-slate-600">
            Accepted{f.resolvedBy ? ` by ${f.resolvedBy}` : ""} <When at={f.resolvedAt} />
          </p>
        )}
        {f.resolution === null && f.kind === "outlived" && <p className="mt-1 max-w-xs text-xs text-slate-600">Interim removes it at the next check.</p>}
      </td>
      <td className={`${td} text-xs whitespace-nowrap text-slate-600`}>
        <div>
          First <When at={f.firstSeenAt} className="text-slate-800" />
        </div>
        <div>
          Last <When at={f.lastSeenAt} className="text-slate-800" />
        </div>
      </td>
      <td className={`${td} text-right max-sm:col-span-2 max-sm:text-left`}>
        <div className="inline-flex flex-wrap items-center justify-end gap-2 max-sm:justify-start">
          {f.resolution === null && f.kind === "standing" && (
            <Button pending={accept.isPending} disabled={remove.isPending} onClick={() => accept.mutate({ findingId: f.id })}>
              Accept
            </Button>
          )}
          <ConfirmButton
            label="Remove now"
            confirmLabel={`Remove ${f.memberName}`}
            pendingLabel="Removing…"
            pending={remove.isPending}
            disabled={accept.isPending}
            onConfirm={() => remove.mutateAsync({ findingId: f.id })}
          />
        </div>
        {error && <ErrorAlert className="mt-2 text-left">{describeError(error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
