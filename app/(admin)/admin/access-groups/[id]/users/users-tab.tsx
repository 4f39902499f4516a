"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/client";
import { EmptyState, Loading, SuccessNote } from "@/components/alerts";
import { SettingsLink, TabHeading, TabQueryError } from "../../_components/group-tab";
import { MemberRow } from "./member-row";
import { MemberSearch } from "./member-search";

export function UsersTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const members = useQuery(trpc.accessGroups.users.list.queryOptions({ id: groupId }));
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

      <MemberSearch
        groupId={groupId}
        memberGuids={members.data?.members.map((m) => m.objectGuid.toLowerCase()) ?? []}
        onAdded={(name) => setNote(`Added ${name}.`)}
      />
      {note && <SuccessNote>{note}</SuccessNote>}

      <div className="space-y-2">
        <h4 className="text-sm font-semibold text-slate-900">Members</h4>
        {members.isPending ? (
          <Loading label="Loading members…" />
        ) : members.isError ? (
          <TabQueryError error={members.error} onRetry={() => void members.refetch()} />
        ) : members.data.members.length === 0 ? (
          <EmptyState title="No members yet">Search the directory above and add people or AD groups.</EmptyState>
        ) : (
          <ul aria-label="Members" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
            {members.data.members.map((m) => (
              <MemberRow key={m.id} groupId={groupId} member={m} onRemoved={() => setNote(`Removed ${m.name}.`)} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
