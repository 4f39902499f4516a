"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { Pill } from "@/components/state-badge";
import { CreateGroupForm } from "./create-group-form";
import { plural } from "./format";

type AccessGroupSummary = RouterOutputs["accessGroups"]["groups"]["list"][number];

export function AccessGroupsList() {
  const trpc = useTRPC();
  const groups = useQuery(trpc.accessGroups.groups.list.queryOptions());
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
      {groups.isPending ? (
        <Loading label="Loading access groups…" />
      ) : groups.isError ? (
        <QueryError message={describeError(groups.error).message} onRetry={() => void groups.refetch()} />
      ) : groups.data.length === 0 ? (
        <EmptyState title="No access groups yet">
          Create one to let people request privileges: give it users, criteria for what they may request, and optionally approvers, time limits and locations.
        </EmptyState>
      ) : (
        <ul aria-label="Access groups" className="space-y-3">
          {groups.data.map((g) => (
            <GroupCard key={g.id} group={g} onDeleted={() => setDeleted(g.name)} />
          ))}
        </ul>
      )}
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
        await queryClient.invalidateQueries({ queryKey: trpc.accessGroups.groups.list.queryKey() });
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
