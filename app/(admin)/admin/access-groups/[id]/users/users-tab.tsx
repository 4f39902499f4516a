"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/client";
import { EmptyState, Loading, SuccessNote } from "@/components/alerts";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { useListState } from "@/components/use-list-state";
import { MEMBER_FILTERS, MEMBER_PAGE_SIZE, memberPageOf } from "../../_components/list-input";
import { SettingsLink, TabHeading, TabQueryError } from "../../_components/group-tab";
import { MemberRow } from "./member-row";
import { MemberSearch } from "./member-search";

const FILTERS: ListFilter<"kind">[] = [
  {
    key: "kind",
    label: "Kind",
    options: [
      { value: "user", label: "People" },
      { value: "group", label: "AD groups" },
    ],
  },
];

export function UsersTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const list = useListState<"kind">({ filters: MEMBER_FILTERS, pageSize: MEMBER_PAGE_SIZE });
  const members = useQuery({ ...trpc.accessGroups.users.page.queryOptions(memberPageOf(groupId, list)), placeholderData: keepPreviousData });
  const total = members.data?.total;
  const unfiltered = !list.q && !list.filters.kind && list.page === 1;
  const [note, setNote] = useState<string | null>(null);

  return (
    <section aria-labelledby="users-heading" className="space-y-6">
      <TabHeading id="users-heading" title="Users">
        People and Active Directory groups in this access group. Someone in a listed AD group belongs at any depth of nesting, read from the directory when they
        ask, so AD changes count at once. Belonging is not enough: each person is also active, pending or suspended here.
      </TabHeading>

      {members.data && (
        <p className="rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-900">
          {members.data.autoGrant ? (
            <>
              <strong>New members are activated automatically</strong> the first time Interim sees them. You can still suspend anyone below.
            </>
          ) : (
            <>
              <strong>New members wait for activation</strong>: they show as pending until you activate them below.
            </>
          )}{" "}
          Change this with “Automatically grant access on provisioning” in <SettingsLink groupId={groupId} />.
        </p>
      )}

      <MemberSearch groupId={groupId} onAdded={(name) => setNote(`Added ${name}.`)} />
      {note && <SuccessNote>{note}</SuccessNote>}

      <div className="space-y-3">
        <h4 className="text-sm font-semibold text-slate-900">Members</h4>
        <ListToolbar state={list} searchLabel="Search members" placeholder="Name or DN" filters={FILTERS} total={total} noun="members" />
        {members.isPending ? (
          <Loading label="Loading members…" />
        ) : members.isError ? (
          <TabQueryError error={members.error} onRetry={() => void members.refetch()} />
        ) : members.data.items.length === 0 ? (
          unfiltered ? (
            <EmptyState title="No members yet">Search the directory above and add people or AD groups.</EmptyState>
          ) : (
            <EmptyState title="No member matches">Try part of a name or a DN, or clear the filter.</EmptyState>
          )
        ) : (
          <ul aria-label="Members" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
            {members.data.items.map((m) => (
              <MemberRow key={m.id} groupId={groupId} member={m} onRemoved={() => setNote(`Removed ${m.name}.`)} />
            ))}
          </ul>
        )}
        <Pager state={list} total={total} label="Members pages" />
      </div>
    </section>
  );
}
