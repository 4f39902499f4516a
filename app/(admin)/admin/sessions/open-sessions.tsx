"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime, formatWhen } from "@/components/time";

type OpenSession = RouterOutputs["sessions"]["list"][number];

const td = "px-4 py-3 align-top sm:px-6";

/** One row per person: their open sessions, and one button that ends them all. */
export function OpenSessions() {
  const trpc = useTRPC();
  const sessions = useQuery({ ...trpc.sessions.list.queryOptions(), refetchInterval: 60_000 });
  if (sessions.isPending) return <Loading label="Loading sessions…" />;
  if (sessions.isError) return <QueryError message={describeError(sessions.error).message} onRetry={() => void sessions.refetch()} />;
  if (sessions.data.length === 0) return <EmptyState title="Nobody is signed in" />;
  const byUser = new Map<string, OpenSession[]>();
  for (const s of sessions.data) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s]);
  return (
    <Card>
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase max-sm:sr-only">
          <tr>
            <th className={td}>Person</th>
            <th className={td}>Sessions</th>
            <th className={`${td} text-right`}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {[...byUser.values()].map((list) => (
            <PersonRow key={list[0]!.userId} sessions={list} />
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function PersonRow({ sessions }: { sessions: OpenSession[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const end = useMutation(trpc.sessions.end.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.sessions.list.queryKey() }) }));
  const who = sessions[0]!;
  return (
    <tr aria-label={who.username} className="max-sm:grid max-sm:gap-y-2 max-sm:p-4">
      <td className={td}>
        <div className="font-medium text-slate-900">{who.displayName}</div>
        <div className="text-xs text-slate-500">{who.username}</div>
      </td>
      <td className={td}>
        <ul className="space-y-1">
          {sessions.map((s) => (
            <li key={s.id} className="text-xs text-slate-600">
              Signed in {formatDateTime(s.createdAt)} from {s.ip ?? "an unknown address"}, last active {formatWhen(s.lastSeenAt)}, ends at the latest{" "}
              {formatDateTime(s.expiresAt)}
              {s.userAgent && (
                <span className="block max-w-md truncate text-slate-500" title={s.userAgent}>
                  {s.userAgent}
                </span>
              )}
            </li>
          ))}
        </ul>
      </td>
      <td className={`${td} text-right max-sm:text-left`}>
        <ConfirmButton
          label="End sessions"
          confirmLabel={`End ${sessions.length === 1 ? "the session" : `all ${sessions.length} sessions`} of ${who.username}`}
          pendingLabel="Ending…"
          pending={end.isPending}
          onConfirm={() => end.mutateAsync({ userId: who.userId })}
        />
        {end.isError && <ErrorAlert className="mt-2">{describeError(end.error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
