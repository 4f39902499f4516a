"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Card } from "@/components/page-heading";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { Pill } from "@/components/state-badge";
import { formatMinutes } from "@/components/time";
import { useListState } from "@/components/use-list-state";
import { PRIVILEGE_SET_STATUS } from "@/server/privilege-sets/schemas";
import { PRIVILEGE_SET_FILTERS, PRIVILEGE_SET_PAGE_SIZE, privilegeSetPageOf } from "./list-input";
import { PrivilegeSetForm, type AdminPrivilegeSet } from "./privilege-set-form";

const FILTERS: ListFilter<"status">[] = [
  { key: "status", label: "Requests", options: PRIVILEGE_SET_STATUS.map((v) => ({ value: v, label: v === "enabled" ? "Enabled" : "Disabled" })) },
];

function accountsText(set: AdminPrivilegeSet): string {
  const names = set.accounts.map((a) => a.username);
  if (set.allowOwnAccount) names.push("the requester's own account");
  return names.join(", ");
}

function SetCard({ set, onEdit }: { set: AdminPrivilegeSet; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = useId();
  const toggle = useMutation(
    trpc.privilegeSets.update.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.privilegeSets.page.queryKey() }) }),
  );
  return (
    <article aria-labelledby={headingId} className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h3 id={headingId} className="text-base font-semibold break-words text-slate-900">
          {set.name}
        </h3>
        <Pill on={set.enabled}>{set.enabled ? "Enabled" : "Disabled"}</Pill>
      </div>
      {set.description && <p className="mt-1 text-sm text-slate-600">{set.description}</p>}
      <dl className="mt-3 space-y-1 text-sm">
        <div>
          <dt className="inline text-slate-500">Privileges: </dt>
          <dd className="inline text-slate-900">{set.privileges.map((p) => (p.enabled ? p.name : `${p.name} (disabled)`)).join(", ")}</dd>
        </div>
        <div>
          <dt className="inline text-slate-500">For: </dt>
          <dd className="inline text-slate-900">{accountsText(set)}</dd>
        </div>
        <div>
          <dt className="inline text-slate-500">Longest request: </dt>
          <dd className="inline text-slate-900">{formatMinutes(set.maxDurationMinutes)}</dd>
        </div>
      </dl>
      {set.enabled && set.problems.length > 0 && (
        <ul className="mt-3 space-y-1 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {set.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {toggle.isError && <ErrorAlert className="mt-3">{describeError(toggle.error).message}</ErrorAlert>}
      <div className="mt-4 flex flex-wrap gap-2">
        <Button onClick={onEdit}>Edit</Button>
        <Button
          pending={toggle.isPending}
          onClick={() =>
            toggle.mutate({
              id: set.id,
              name: set.name,
              description: set.description,
              privilegeIds: set.privileges.map((p) => p.id),
              credentialIds: set.accounts.map((a) => a.id),
              allowOwnAccount: set.allowOwnAccount,
              enabled: !set.enabled,
            })
          }
        >
          {set.enabled ? "Disable" : "Enable"}
        </Button>
      </div>
    </article>
  );
}

export function PrivilegeSets() {
  const trpc = useTRPC();
  const list = useListState<"status">({ filters: PRIVILEGE_SET_FILTERS, pageSize: PRIVILEGE_SET_PAGE_SIZE });
  const sets = useQuery({ ...trpc.privilegeSets.page.queryOptions(privilegeSetPageOf(list)), placeholderData: keepPreviousData });
  const total = sets.data?.total;
  const unfiltered = !list.q && !list.filters.status && list.page === 1;
  const [creating, setCreating] = useState(false);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const done = (name?: string) => {
    setCreating(false);
    setEditingId(null);
    if (name) setSaved(name);
  };

  return (
    <div className="space-y-6">
      {saved && <SuccessNote>Saved “{saved}”.</SuccessNote>}
      <section aria-labelledby="sets-heading" className="space-y-4">
        <h2 id="sets-heading" className="text-lg font-semibold text-slate-900">
          Sets
        </h2>
        <ListToolbar
          state={list}
          searchLabel="Search privilege sets"
          placeholder="Name, description or privilege"
          filters={FILTERS}
          total={total}
          noun="sets"
        />
        {sets.isPending ? (
          <Loading label="Loading privilege sets…" />
        ) : sets.isError ? (
          <QueryError message={describeError(sets.error).message} onRetry={() => void sets.refetch()} />
        ) : sets.data.items.length === 0 ? (
          unfiltered ? (
            <EmptyState title="No privilege sets yet">Create one below to let people request several privileges at once for a privileged account.</EmptyState>
          ) : (
            <EmptyState title="No privilege set matches">Try part of a name or a privilege, or clear the filter.</EmptyState>
          )
        ) : (
          <div className="grid gap-4 md:grid-cols-2">
            {sets.data.items.map((set) =>
              set.id === editingId ? (
                <Card key={set.id} className="p-4 sm:p-5 md:col-span-2">
                  <h3 className="mb-4 text-base font-semibold text-slate-900">Edit “{set.name}”</h3>
                  <PrivilegeSetForm set={set} onDone={done} />
                </Card>
              ) : (
                <SetCard
                  key={set.id}
                  set={set}
                  onEdit={() => {
                    setSaved(null);
                    setCreating(false);
                    setEditingId(set.id);
                  }}
                />
              ),
            )}
          </div>
        )}
        <Pager state={list} total={total} label="Privilege sets pages" />
      </section>
      <section aria-labelledby="new-set-heading">
        <Card className="p-4 sm:p-6">
          <h2 id="new-set-heading" className="text-lg font-semibold text-slate-900">
            New privilege set
          </h2>
          <p className="mt-1 mb-4 text-sm text-slate-600">Choose the privileges granted together and the privileged accounts that may use them.</p>
          {creating ? (
            <PrivilegeSetForm onDone={done} />
          ) : (
            <Button
              variant="primary"
              onClick={() => {
                setSaved(null);
                setEditingId(null);
                setCreating(true);
              }}
            >
              Create a privilege set
            </Button>
          )}
        </Card>
      </section>
    </div>
  );
}
