"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, QueryError } from "@/components/alerts";
import { Pill } from "@/components/state-badge";
import { TabNav } from "@/components/tab-nav";

const TABS = [
  { segment: "settings", label: "Settings" },
  { segment: "criteria", label: "Criteria" },
  { segment: "users", label: "Users" },
  { segment: "approvers", label: "Approvers" },
  { segment: "limits", label: "Limits" },
  { segment: "locations", label: "Locations" },
  { segment: "notifications", label: "Notifications" },
  { segment: "sessions", label: "Sessions" },
] as const;

/** Back link, the group's name and state, and its tabs. */
export function GroupHeader({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const group = useQuery(trpc.accessGroups.groups.byId.queryOptions({ id: groupId }));
  const base = `/admin/access-groups/${groupId}`;
  const gone = group.error?.data?.code === "NOT_FOUND";

  return (
    <div className="mb-6">
      {/* The page's top heading for assistive technology; the group's name is the visible one. */}
      <h1 className="sr-only">Access group</h1>
      <Link href="/admin/access-groups" className="text-sm font-medium text-indigo-700 hover:underline">
        <span aria-hidden="true">← </span>All access groups
      </Link>
      <div className="mt-2 mb-4 flex min-h-8 flex-wrap items-center gap-3">
        {group.data ? (
          <>
            <h2 className="min-w-0 text-2xl font-semibold tracking-tight break-words text-slate-900">{group.data.name}</h2>
            <Pill on={group.data.enabled}>{group.data.enabled ? "Enabled" : "Disabled"}</Pill>
          </>
        ) : group.isError ? (
          <div className="w-full">
            {gone ? (
              <ErrorAlert>{group.error.message}</ErrorAlert>
            ) : (
              <QueryError message={describeError(group.error).message} onRetry={() => void group.refetch()} />
            )}
          </div>
        ) : (
          <p role="status" className="text-sm text-slate-500">
            Loading access group…
          </p>
        )}
      </div>
      {!gone && <TabNav label="Access group sections" tabs={TABS.map((t) => ({ href: `${base}/${t.segment}`, label: t.label }))} />}
    </div>
  );
}
