"use client";

import { useQueryClient, type QueryKey, type UseQueryResult } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { describeError, errorCode, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";

/*
 * What every tab of an access group shares. A tab form is mounted on the values it was opened
 * with, `version` included, and keeps them: a refetch never replaces what someone is typing. If
 * the group changes meanwhile (another admin), the tab says so and offers to load the change; a
 * save on the old version is refused by the server (CONFLICT) with the same offer. After our own
 * save every tab's cached read of the group is refetched, so the next tab opens on the new version.
 */

/** Options for a tab's `get` query: checked again on opening the tab, never behind a form's back. */
export const TAB_QUERY = { refetchOnMount: "always", refetchOnWindowFocus: false, refetchOnReconnect: false } as const;

export interface SaveProblem {
  message: string;
  /** The group changed since the form was opened: offer a reload. */
  stale: boolean;
  fieldErrors: Record<string, string[] | undefined> | null;
}

export function isConflict(err: unknown): boolean {
  return errorCode(err) === "CONFLICT";
}

/** A tab's read failed. A group that no longer exists is said once, by the header; retrying would not bring it back. */
export function TabQueryError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  if (errorCode(error) === "NOT_FOUND") return null;
  return <QueryError message={describeError(error).message} onRetry={onRetry} />;
}

/** The tab's `get` query, as far as conflict detection needs it. */
interface VersionedQuery {
  refetch: () => Promise<{ data?: { version: number } }>;
}

export function useGroupTab(groupId: string, query: VersionedQuery) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formKey, setFormKey] = useState(0);
  const [refreshing, setRefreshing] = useState<"save" | "reload" | null>(null);
  const [savedNote, setSavedNote] = useState<string | null>(null);

  async function refresh(why: "save" | "reload") {
    setRefreshing(why);
    try {
      const ag = trpc.accessGroups;
      const input = { id: groupId };
      // Every tab's version moved: refetch their reads of this group even when not on screen
      // ("all"), so opening another tab does not start from a version that is already stale.
      const versioned: QueryKey[] = [
        ag.groups.byId.queryKey(input),
        ag.settings.get.queryKey(input),
        ag.criteria.get.queryKey(input),
        ag.approvers.get.queryKey(input),
        ag.limits.get.queryKey(input),
        ag.locations.get.queryKey(input),
        ag.notifications.get.queryKey(input),
        ag.sessions.get.queryKey(input),
      ];
      await Promise.all([
        ...versioned.map((queryKey) => queryClient.invalidateQueries({ queryKey, refetchType: "all" })),
        // Counts, name and state in the list; auto-grant on the users tab.
        queryClient.invalidateQueries(ag.groups.page.queryFilter()),
        queryClient.invalidateQueries(ag.users.page.queryFilter(input)),
      ]);
      setFormKey((k) => k + 1);
    } finally {
      setRefreshing(null);
    }
  }

  return {
    /** Key for the form: a new one remounts it on the values just read back. */
    formKey,
    /** Between a save or reload and the form's remount, when the cache may be ahead of the form. */
    refreshing,
    savedNote,
    clearSavedNote: () => setSavedNote(null),
    async saved(note: string) {
      await refresh("save");
      setSavedNote(note);
    },
    async reload() {
      setSavedNote(null);
      await refresh("reload");
    },
    /** Explains a failed save; a CONFLICT is stale only if the group's version really moved (not, say, a duplicate name). */
    async problemFor(err: unknown, formVersion: number): Promise<SaveProblem> {
      const { message, fieldErrors } = describeError(err);
      let stale = false;
      if (isConflict(err)) {
        const fresh = await query.refetch();
        stale = fresh.data === undefined || fresh.data.version !== formVersion;
      }
      return { message, stale, fieldErrors };
    },
  };
}

export type GroupTab = ReturnType<typeof useGroupTab>;

/**
 * Loading and failure of a tab's `get`, then the tab's form. The form receives the data frozen:
 * a refetch (on opening the tab, or checking a conflict) does not change the values or the
 * version it saves against until `tab.formKey` changes.
 */
export function TabBody<T extends { version: number }>({
  query,
  what,
  tab,
  children,
}: {
  query: UseQueryResult<T, unknown>;
  what: string;
  tab: GroupTab;
  children: (data: T) => ReactNode;
}) {
  if (query.data === undefined) {
    if (query.isError) return <TabQueryError error={query.error} onRetry={() => void query.refetch()} />;
    return <Loading label={`Loading ${what}…`} />;
  }
  return <Frozen key={tab.formKey} latest={query.data} tab={tab} render={children} />;
}

function Frozen<T extends { version: number }>({ latest, tab, render }: { latest: T; tab: GroupTab; render: (data: T) => ReactNode }) {
  const [frozen] = useState(latest);
  const [loading, setLoading] = useState(false);
  // Right after our own save the cache is ahead of the form for a moment; that is not someone else.
  const changedElsewhere = latest.version !== frozen.version && tab.refreshing !== "save";
  return (
    <>
      {changedElsewhere && (
        <div
          role="status"
          className="mb-4 flex flex-wrap items-center justify-between gap-3 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          <span>
            Someone saved a change to this access group since you opened this tab, so saving here would be refused. Loading their changes drops what you have
            not saved on this tab.
          </span>
          <Button
            pending={loading}
            onClick={async () => {
              setLoading(true);
              try {
                await tab.reload();
              } finally {
                setLoading(false);
              }
            }}
          >
            Load their changes
          </Button>
        </div>
      )}
      {/* What is typed while the form is about to be replaced would be lost: hold it still. */}
      <div inert={tab.refreshing !== null}>{render(frozen)}</div>
    </>
  );
}

/**
 * A tab form's save: the problem it ran into, and the callbacks for its `update` mutation that
 * set it. Call `start()` as the save begins: it clears the last problem and the "saved" note.
 */
export function useTabSave(tab: GroupTab, formVersion: number, savedNote: string) {
  const [problem, setProblem] = useState<SaveProblem | null>(null);
  return {
    problem,
    setProblem,
    start() {
      setProblem(null);
      tab.clearSavedNote();
    },
    callbacks: {
      onSuccess: () => tab.saved(savedNote),
      onError: async (err: unknown) => setProblem(await tab.problemFor(err, formVersion)),
    },
  };
}

/** The end of every tab form: a failed save, the submit button, and the "saved" note until the next edit. */
export function TabSaveBar(props: { problem: SaveProblem | null; tab: GroupTab; pending: boolean; dirty: boolean; children: string }) {
  return (
    <>
      <SaveProblemAlert problem={props.problem} onReload={props.tab.reload} />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" variant="primary" pending={props.pending}>
          {props.children}
        </Button>
        {!props.dirty && <SavedNote>{props.tab.savedNote}</SavedNote>}
      </div>
    </>
  );
}

/** A failed save: the message, and "Reload" when the form is out of date. */
function SaveProblemAlert({ problem, onReload }: { problem: SaveProblem | null; onReload: () => Promise<void> }) {
  const [reloading, setReloading] = useState(false);
  if (!problem) return null;
  return (
    <ErrorAlert className="flex flex-wrap items-center justify-between gap-3">
      <span>{problem.message}</span>
      {problem.stale && (
        <Button
          pending={reloading}
          onClick={async () => {
            setReloading(true);
            try {
              await onReload();
            } finally {
              setReloading(false);
            }
          }}
        >
          Reload
        </Button>
      )}
    </ErrorAlert>
  );
}

function SavedNote({ children }: { children: string | null }) {
  return <SuccessNote>{children}</SuccessNote>;
}

export function TabHeading({ id, title, children }: { id: string; title: string; children?: ReactNode }) {
  return (
    <div className="mb-4">
      <h3 id={id} className="text-lg font-semibold text-slate-900">
        {title}
      </h3>
      {children && <div className="mt-1 max-w-3xl text-sm text-slate-600">{children}</div>}
    </div>
  );
}

export function settingsHref(groupId: string) {
  return `/admin/access-groups/${groupId}/settings`;
}

export function SettingsLink({ groupId, children = "Settings" }: { groupId: string; children?: ReactNode }) {
  return (
    <Link href={settingsHref(groupId)} className="font-medium text-indigo-700 underline underline-offset-2 hover:text-indigo-600">
      {children}
    </Link>
  );
}
