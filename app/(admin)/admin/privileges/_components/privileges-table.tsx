"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { Card } from "@/components/page-heading";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { Pill } from "@/components/state-badge";
import { useListState } from "@/components/use-list-state";
import { GRANT_MECHANISMS, PRIVILEGE_STATUS, type GrantMechanism } from "@/server/privileges/schemas";
import { PRIVILEGE_FILTERS, PRIVILEGE_PAGE_SIZE, privilegePageOf, type PrivilegeFilter } from "./list-input";
import { EditPrivilegeForm } from "./edit-privilege-form";

const th = "px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";
// Below `sm` each row becomes a small card, with the column names shown inline.
const td = "px-4 py-3 align-top text-sm max-sm:min-w-0 max-sm:p-0";

const MECHANISM: Record<GrantMechanism, string> = { direct: "Direct", ttl: "TTL (AD removes it)", "temporary-group": "Temporary group" };

const FILTERS: ListFilter<PrivilegeFilter>[] = [
  { key: "status", label: "Requests", options: PRIVILEGE_STATUS.map((v) => ({ value: v, label: v === "enabled" ? "Enabled" : "Disabled" })) },
  { key: "mechanism", label: "Mechanism", options: GRANT_MECHANISMS.map((v) => ({ value: v, label: MECHANISM[v] })) },
];

function MobileLabel({ children }: { children: string }) {
  return <span className="block text-xs text-slate-500 sm:hidden">{children}</span>;
}

export function PrivilegesTable() {
  const trpc = useTRPC();
  const list = useListState<PrivilegeFilter>({ filters: PRIVILEGE_FILTERS, pageSize: PRIVILEGE_PAGE_SIZE });
  const privileges = useQuery({ ...trpc.privileges.page.queryOptions(privilegePageOf(list)), placeholderData: keepPreviousData });
  const facts = useQuery(trpc.grants.kerberos.queryOptions());
  const pamOff = facts.data?.pamFeatureEnabled === false;
  const [editingId, setEditingId] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const total = privileges.data?.total;
  const rows = privileges.data?.items ?? [];
  const editing = rows.find((p) => p.id === editingId) ?? null;
  const unfiltered = !list.q && !list.filters.status && !list.filters.mechanism;

  return (
    <section aria-label="Published privileges" className="mb-10 space-y-4">
      {saved && <SuccessNote>Saved “{saved}”.</SuccessNote>}
      <ListToolbar
        state={list}
        searchLabel="Search privileges"
        placeholder="Name, description, group or tag"
        filters={FILTERS}
        total={total}
        noun="privileges"
      />
      {privileges.isPending ? (
        <Loading label="Loading privileges…" />
      ) : privileges.isError ? (
        <QueryError message={describeError(privileges.error).message} onRetry={() => void privileges.refetch()} />
      ) : rows.length === 0 ? (
        unfiltered && list.page === 1 ? (
          <EmptyState title="No privileges published yet">Search the directory below and publish a group to make it requestable.</EmptyState>
        ) : (
          <EmptyState title="No privilege matches">Try part of a name, a group or a tag, or clear the filters.</EmptyState>
        )
      ) : (
        <Card className="overflow-x-auto">
          <table className="w-full divide-y divide-slate-200 max-sm:block sm:min-w-[860px]">
            <thead className="bg-slate-50 max-sm:sr-only">
              <tr>
                <th scope="col" className={th}>
                  Name
                </th>
                <th scope="col" className={th}>
                  Group DN
                </th>
                <th scope="col" className={th}>
                  Max
                </th>
                <th scope="col" className={th}>
                  Default
                </th>
                <th scope="col" className={th}>
                  Extension
                </th>
                <th scope="col" className={th}>
                  Mechanism
                </th>
                <th scope="col" className={th}>
                  Enabled
                </th>
                <th scope="col" className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 max-sm:block">
              {rows.map((p) => (
                <tr
                  key={p.id}
                  aria-label={p.name}
                  className={`max-sm:grid max-sm:grid-cols-3 max-sm:gap-x-3 max-sm:gap-y-2 max-sm:p-3 ${p.id === editingId ? "bg-indigo-50/50" : ""}`}
                >
                  <td className={`${td} max-sm:col-span-2 max-sm:row-start-1`}>
                    <div className="font-medium text-slate-900">{p.name}</div>
                    {p.description && <div className="mt-0.5 max-w-xs text-xs text-slate-500">{p.description}</div>}
                  </td>
                  <td className={`${td} max-w-xs text-xs text-slate-700 max-sm:col-span-3 max-sm:max-w-none`}>
                    <MobileLabel>Group DN</MobileLabel>
                    <Dn value={p.groupDn} />
                  </td>
                  <td className={`${td} whitespace-nowrap tabular-nums`}>
                    <MobileLabel>Maximum</MobileLabel>
                    {p.maxDurationMinutes} min
                  </td>
                  <td className={`${td} whitespace-nowrap tabular-nums`}>
                    <MobileLabel>Default</MobileLabel>
                    {p.defaultDurationMinutes} min
                  </td>
                  <td className={td}>
                    <MobileLabel>Extension</MobileLabel>
                    {p.allowExtension ? `Allowed, up to ${p.maxTotalMinutes ?? p.maxDurationMinutes} min in total` : "No"}
                  </td>
                  <td className={td}>
                    <MobileLabel>Mechanism</MobileLabel>
                    {MECHANISM[p.mechanism]}
                    {p.mechanism === "ttl" && pamOff && (
                      <div className="mt-0.5 max-w-xs text-xs text-amber-800">The PAM feature is off: grants are added as direct memberships.</div>
                    )}
                  </td>
                  <td className={td}>
                    <MobileLabel>Requests</MobileLabel>
                    <Pill on={p.enabled}>{p.enabled ? "Enabled" : "Disabled"}</Pill>
                  </td>
                  <td className={`${td} text-right max-sm:col-start-3 max-sm:row-start-1`}>
                    <Button
                      onClick={() => {
                        setSaved(null);
                        setEditingId(p.id);
                      }}
                      disabled={p.id === editingId}
                    >
                      Edit
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <Pager state={list} total={total} label="Privileges pages" />
      {editing && (
        <Card className="p-4 sm:p-6">
          <h2 className="mb-4 text-base font-semibold text-slate-900">Edit “{editing.name}”</h2>
          <EditPrivilegeForm
            key={editing.id}
            privilege={editing}
            onDone={(name) => {
              setEditingId(null);
              if (name) setSaved(name);
            }}
          />
        </Card>
      )}
    </section>
  );
}
