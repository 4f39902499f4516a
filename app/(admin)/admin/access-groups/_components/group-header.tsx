"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { ErrorAlert, QueryError } from "@/components/alerts";
import { Pill } from "@/components/state-badge";

const TABS = [
  { segment: "settings", label: "Settings" },
  { segment: "criteria", label: "Criteria" },
  { segment: "users", label: "Users" },
  { segment: "approvers", label: "Approvers" },
  { segment: "limits", label: "Limits" },
  { segment: "locations", label: "Locations" },
] as const;

/** Back link, the group's name and state, and its six tabs. */
export function GroupHeader({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const pathname = usePathname();
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
      {!gone && <SectionNav base={base} pathname={pathname} />}
    </div>
  );
}

/** The six tabs; scrolls sideways on a phone, like the admin navigation. */
function SectionNav({ base, pathname }: { base: string; pathname: string }) {
  const currentTab = useRef<HTMLAnchorElement>(null);
  // Bring the open tab into view: at 375 px "Locations" starts off-screen.
  useEffect(() => {
    currentTab.current?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [pathname]);
  return (
    <nav aria-label="Access group sections" className="-mx-4 overflow-x-auto border-b border-slate-200 px-4">
      <ul className="flex min-w-max sm:gap-1">
        {TABS.map((tab) => {
          const href = `${base}/${tab.segment}`;
          const current = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <li key={tab.segment}>
              <Link
                href={href}
                ref={current ? currentTab : undefined}
                aria-current={current ? "page" : undefined}
                className={`-mb-px inline-block border-b-2 px-2 py-2.5 text-sm font-medium whitespace-nowrap sm:px-3 ${
                  current ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
                }`}
              >
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
