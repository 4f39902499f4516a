"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { Countdown } from "@/components/countdown";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { StateBadge } from "@/components/state-badge";
import { formatWhen } from "@/components/time";
import { TimelineDisclosure } from "@/components/timeline-disclosure";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { useListState } from "@/components/use-list-state";
import { LIVE_GRANT_FILTERS, type LiveGrantFilter } from "@/server/grants/schemas";
import { GRANT_LIST_FILTERS, GRANT_PAGE_SIZE, grantPageOf } from "./list-input";

type LiveGrant = RouterOutputs["grants"]["page"]["items"][number];

const STATE_LABEL: Record<LiveGrantFilter, string> = { waiting: "Waiting", replicating: "Replicating", active: "Active", removing: "Being removed" };
const FILTERS: ListFilter<"state">[] = [{ key: "state", label: "State", options: LIVE_GRANT_FILTERS.map((v) => ({ value: v, label: STATE_LABEL[v] })) }];

const th = "px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";
// Below `sm` each row becomes a small card (two columns), so a phone can revoke without side-scrolling.
const td = "px-4 py-3 align-top text-sm max-sm:min-w-0 max-sm:p-0";

export function LiveGrants() {
  const trpc = useTRPC();
  const list = useListState<"state">({ filters: GRANT_LIST_FILTERS, pageSize: GRANT_PAGE_SIZE });
  const grants = useQuery({ ...trpc.grants.page.queryOptions(grantPageOf(list)), refetchInterval: 2000, placeholderData: keepPreviousData });
  const total = grants.data?.total;
  const rows = grants.data?.items ?? [];
  const unfiltered = !list.q && !list.filters.state && list.page === 1;

  return (
    <section aria-label="Grants" className="space-y-4">
      <ListToolbar state={list} searchLabel="Search grants" placeholder="User, privilege or group" filters={FILTERS} total={total} noun="grants" />
      {grants.isPending ? (
        <Loading label="Loading grants…" />
      ) : grants.isError ? (
        <QueryError message={describeError(grants.error).message} onRetry={() => void grants.refetch()} />
      ) : rows.length === 0 ? (
        unfiltered ? (
          <EmptyState title="No one holds a privilege right now">
            Grants appear here as soon as a request is approved, and leave when access is removed.
          </EmptyState>
        ) : (
          <EmptyState title="No grant matches">Try part of a user name or a privilege, or clear the filter.</EmptyState>
        )
      ) : (
        <Card className="overflow-x-auto">
          <table className="w-full divide-y divide-slate-200 max-sm:block sm:min-w-[640px]">
            <thead className="bg-slate-50 max-sm:sr-only">
              <tr>
                <th scope="col" className={th}>
                  User
                </th>
                <th scope="col" className={th}>
                  Privilege
                </th>
                <th scope="col" className={th}>
                  State
                </th>
                <th scope="col" className={th}>
                  Expires
                </th>
                <th scope="col" className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 max-sm:block">
              {rows.map((g) => (
                <GrantRow key={g.id} grant={g} />
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <Pager state={list} total={total} label="Grants pages" />
    </section>
  );
}

/** The DCs a grant's latest change has not reached yet, or that never confirmed its add. */
function ReplicationNote({ grant: g }: { grant: LiveGrant }) {
  const r = g.replication;
  if (!r) return null;
  const waiting = r.settled ? [] : r.dcs.filter((d) => d.seenAt === null);
  if (waiting.length) {
    return (
      <ul className="mt-1 text-xs text-sky-900">
        {waiting.map((d) => (
          <li key={d.host}>
            {d.error ? "Could not check" : r.phase === "add" ? "Not yet on" : "Still on"} <span className="font-mono">{d.host}</span>
            {d.error && <span className="text-amber-800"> — {d.error}</span>}
          </li>
        ))}
      </ul>
    );
  }
  const unconfirmed = r.phase === "add" ? (r.settled?.unconfirmed ?? []) : [];
  if (g.state === "active" && unconfirmed.length) {
    return <p className="mt-1 max-w-xs text-xs text-amber-800">Never confirmed on {unconfirmed.join(", ")} (gave up waiting)</p>;
  }
  return null;
}

/** Until when access can persist in Kerberos tickets issued before removal (a TTL capped them). */
function TicketNote({ grant: g }: { grant: LiveGrant }) {
  const via = g.tempGroupDn ? (
    <div className="text-xs text-slate-500 break-all">Through temporary group {/^CN=([^,]+)/i.exec(g.tempGroupDn)?.[1] ?? g.tempGroupDn}</div>
  ) : null;
  if (!g.ticketsValidUntil) return via;
  return g.mechanism === "ttl" ? (
    <div className="text-xs text-slate-500">TTL: the KDC capped tickets at expiry</div>
  ) : (
    <>
      {via}
      <div className="text-xs text-slate-500" title={`Kerberos tickets issued before removal stay valid up to ${g.kerberosMaxTicketAgeHours} h`}>
        Tickets valid until {formatWhen(g.ticketsValidUntil)} (+{g.kerberosMaxTicketAgeHours} h)
      </div>
    </>
  );
}

function GrantRow({ grant: g }: { grant: LiveGrant }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.grants.revoke.mutationOptions({
      onSettled: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.grants.page.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.grants.live.queryKey() }),
        ]),
    }),
  );
  const ending = Boolean(g.endReason) || g.state === "expiring" || g.removalPending;

  return (
    <tr aria-label={`${g.username} ${g.privilege}`} className="max-sm:grid max-sm:grid-cols-2 max-sm:gap-x-4 max-sm:gap-y-3 max-sm:p-4">
      <td className={td}>
        <div className="font-medium text-slate-900">{g.displayName}</div>
        <div className="text-xs text-slate-500">{g.username}</div>
      </td>
      <td className={td}>
        <div className="text-slate-900">{g.privilege}</div>
        {g.privilegeSet && <div className="text-xs text-slate-600">Part of the set “{g.privilegeSet}”: revoking one revokes the set</div>}
        <div className="max-w-xs truncate font-mono text-xs text-slate-500" title={g.groupDn}>
          {g.groupDn}
        </div>
        <TimelineDisclosure requestId={g.requestId} className="mt-1" />
      </td>
      <td className={td}>
        <StateBadge state={g.removalPending ? "expiring" : g.state} />
        <ReplicationNote grant={g} />
        {g.lastError && <p className="mt-1 max-w-xs text-xs break-words text-amber-800">{g.lastError}</p>}
      </td>
      <td className={`${td} whitespace-nowrap`}>
        {(g.state === "active" || g.state === "replicating") && g.expiresAt ? (
          <>
            <Countdown until={g.expiresAt} className="text-slate-800" />
            <TicketNote grant={g} />
          </>
        ) : (
          <span className="text-slate-500">{g.removalPending ? "Removed, replicating" : g.state === "expiring" ? "Removing now" : "Not started yet"}</span>
        )}
      </td>
      <td className={`${td} text-right max-sm:col-span-2 max-sm:text-left`}>
        {ending ? (
          <span className="text-xs text-slate-500">
            {g.endReason === "revoked" ? "Revoked, removing…" : g.endReason === "ended_early" ? "Ended by holder, removing…" : "Removing…"}
          </span>
        ) : (
          <ConfirmButton
            label="Revoke"
            confirmLabel="Confirm revoke"
            pendingLabel="Revoking…"
            pending={revoke.isPending}
            onConfirm={() => revoke.mutateAsync({ grantId: g.id })}
          />
        )}
        {revoke.isError && <ErrorAlert className="mt-2 text-left">{describeError(revoke.error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
