"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { Pill } from "@/components/state-badge";
import { useListState } from "@/components/use-list-state";
import { ACCESS_GROUP_STATUS } from "@/server/access-groups/schemas";
import { CreateGroupForm } from "./create-group-form";
import { plural } from "./format";
import { ACCESS_GROUP_FILTERS, ACCESS_GROUP_PAGE_SIZE, accessGroupPageOf } from "./list-input";

type AccessGroupSummary = RouterOutputs["accessGroups"]["groups"]["page"]["items"][number];

const FILTERS: ListFilter<"status">[] = [
  { key: "status", label: "State", options: ACCESS_GROUP_STATUS.map((v) => ({ value: v, label: v === "enabled" ? "Enabled" : "Disabled" })) },
];

export function AccessGroupsList() {
  const trpc = useTRPC();
  const list = useListState<"status">({ filters: ACCESS_GROUP_FILTERS, pageSize: ACCESS_GROUP_PAGE_SIZE });
  const groups = useQuery({ ...trpc.accessGroups.groups.page.queryOptions(accessGroupPageOf(list)), placeholderData: keepPreviousData });
  const total = groups.data?.total;
  const unfiltered = !list.q && !list.filters.status && list.page === 1;
  const [creating, setCreating] = useState(false);
  const [deleted, setDeleted] = useState<string | null>(null);

  return (
    <div className="space-y-6">
      {creating ? (
        <Card className="p-4 sm:p-6">
          <h2 className="mb-4 text-base font-semibold text-slate-900">New access group</h2>
          <CreateGroupForm onCancel={() => setCreating(false)} />
        </Card>
      ) : (
        <Button
          variant="primary"
          onClick={() => {
            setDeleted(null);
            setCreating(true);
          }}
        >
          New access group
        </Button>
      )}
      {deleted && <SuccessNote>Deleted “{deleted}”.</SuccessNote>}
      <ListToolbar state={list} searchLabel="Search access groups" placeholder="Name or description" filters={FILTERS} total={total} noun="access groups" />
      {groups.isPending ? (
        <Loading label="Loading access groups…" />
      ) : groups.isError ? (
        <QueryError message={describeError(groups.error).message} onRetry={() => void groups.refetch()} />
      ) : groups.data.items.length === 0 ? (
        unfiltered ? (
          <EmptyState title="No access groups yet">
            Create one to let people request privileges: give it users, criteria for what they may request, and optionally approvers, time limits and locations.
          </EmptyState>
        ) : (
          <EmptyState title="No access group matches">Try part of a name or a description, or clear the filter.</EmptyState>
        )
      ) : (
        <ul aria-label="Access groups" className="space-y-3">
          {groups.data.items.map((g) => (
            <GroupCard key={g.id} group={g} onDeleted={() => setDeleted(g.name)} />
          ))}
        </ul>
      )}
      <Pager state={list} total={total} label="Access groups pages" />
    </div>
  );
}

function GroupCard({ group, onDeleted }: { group: AccessGroupSummary; onDeleted: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.accessGroups.groups.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.accessGroups.groups.page.queryKey() });
        onDeleted();
      },
      onError: (err) => setError(describeError(err).message),
    }),
  );

  return (
    <li aria-label={group.name} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <Link href={`/admin/access-groups/${group.id}/settings`} className="font-semibold break-words text-indigo-700 underline-offset-2 hover:underline">
              {group.name}
            </Link>
            <Pill on={group.enabled}>{group.enabled ? "Enabled" : "Disabled"}</Pill>
          </div>
          {group.description && <p className="text-sm break-words text-slate-600">{group.description}</p>}
          <p className="text-sm text-slate-600">
            {plural(group.users, "user")} · {plural(group.directoryGroups, "AD group")} · {plural(group.approvers, "approver")}
          </p>
          <p className="text-xs text-slate-500">Time zone: {group.timeZone}</p>
        </div>
        <ConfirmButton
          label="Delete"
          confirmLabel="Confirm delete"
          pendingLabel="Deleting…"
          pending={remove.isPending}
          onConfirm={() => {
            setError(null);
            return remove.mutateAsync({ id: group.id });
          }}
        />
      </div>
      <ErrorAlert className="mt-3">{error}</ErrorAlert>
    </li>
  );
}
