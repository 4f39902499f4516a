"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useRef, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { TextField } from "@/components/form-field";
import { PageHeading } from "@/components/page-heading";
import { Tag } from "@/components/tag";
import { formatDateTime } from "@/components/time";
import { RecordingPlayer, type PlayerHandle } from "./recording-player";
import { formatBytes } from "./recordings-list";

const OPEN = new Set(["requested", "preparing", "ready", "live"]);

export function RecordingDetail({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const at = Number(useSearchParams().get("at") ?? "");
  // Each read is audited (session.watched): read once, and again only when asked.
  const detail = useQuery({ ...trpc.deviceSessions.detail.queryOptions({ sessionId }), refetchOnWindowFocus: false, staleTime: Infinity });
  const player = useRef<PlayerHandle>(null);
  const [reason, setReason] = useState("");
  const terminate = useMutation(
    trpc.deviceSessions.terminate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.deviceSessions.detail.queryKey({ sessionId }) }),
    }),
  );

  if (detail.isPending) return <Loading label="Loading the session…" />;
  if (detail.isError) return <ErrorAlert>{describeError(detail.error).message}</ErrorAlert>;
  const s = detail.data;
  return (
    <>
      <PageHeading
        title={`${s.person} on ${s.device}`}
        actions={
          <Link href="/admin/recordings" className="text-sm text-indigo-700 underline">
            All sessions on devices
          </Link>
        }
      >
        As {s.login} ({s.host}:{s.port}). {s.flagged && <Tag tone="amber">Flagged</Tag>}
      </PageHeading>
      <dl className="mb-6 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-3">
        <Fact label="State">{s.state}</Fact>
        <Fact label="Asked">{formatDateTime(s.createdAt)}</Fact>
        <Fact label="Connected">{s.connectedAt ? formatDateTime(s.connectedAt) : "—"}</Fact>
        <Fact label="Ended">{s.endedAt ? `${formatDateTime(s.endedAt)} (${s.endReason})` : "—"}</Fact>
        <Fact label="Limits">
          {s.maxMinutes} min, idle {s.idleMinutes} min
        </Fact>
        <Fact label="Recording">{s.recordingEnabled ? formatBytes(s.recordingBytes) : "Not recorded"}</Fact>
        {s.plannedActivity.length > 0 && <Fact label="Planned activity">{s.plannedActivity.join(", ")}</Fact>}
        {s.error && <Fact label="Error">{s.error}</Fact>}
      </dl>
      {s.mayTerminate && OPEN.has(s.state) && (
        <div className="mb-6 flex flex-wrap items-end gap-3 rounded-md border border-red-200 bg-red-50 p-3">
          <div className="min-w-48 flex-1">
            <TextField id="terminate-reason" label="Reason for terminating" value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <ConfirmButton
            label="Terminate"
            confirmLabel="Terminate the session now"
            pendingLabel="Terminating…"
            pending={terminate.isPending}
            onConfirm={() => terminate.mutateAsync({ sessionId, reason })}
          />
          {terminate.error && <ErrorAlert>{describeError(terminate.error).message}</ErrorAlert>}
        </div>
      )}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <section aria-labelledby="playback-heading" className="min-w-0 space-y-2">
          <div className="flex items-center justify-between">
            <h2 id="playback-heading" className="font-semibold text-slate-900">
              Playback
            </h2>
            <Button variant="ghost" onClick={() => void detail.refetch()}>
              Reload recording
            </Button>
          </div>
          {s.recordingTruncated && <p className="text-xs text-amber-800">The recording is longer than 20 MB: playback stops there.</p>}
          {s.recording ? (
            <RecordingPlayer ref={player} recording={s.recording} startAt={Number.isFinite(at) ? at : undefined} />
          ) : (
            <p className="text-sm text-slate-600">No recording (yet).</p>
          )}
        </section>
        <section aria-labelledby="commands-heading" className="space-y-2">
          <h2 id="commands-heading" className="font-semibold text-slate-900">
            Commands
          </h2>
          {s.commands.length === 0 ? (
            <p className="text-sm text-slate-600">No commands.</p>
          ) : (
            <ol aria-label="Command index" className="max-h-[60vh] space-y-1 overflow-y-auto text-sm">
              {s.commands.map((c) => (
                <li key={c.seq}>
                  <button
                    type="button"
                    className="w-full rounded px-2 py-1 text-left hover:bg-slate-100"
                    onClick={() => player.current?.seekTo(Math.max(0, c.offset - 1))}
                    aria-label={`Play from ${c.text}`}
                  >
                    <span className="mr-2 text-xs text-slate-500 tabular-nums">{formatOffset(c.offset)}</span>
                    <code className="break-all">{c.text}</code>
                    {c.action !== "allow" && (
                      <Tag tone={c.action === "block" ? "red" : "amber"}>
                        {c.action}
                        {c.rule ? `: ${c.rule}` : ""}
                      </Tag>
                    )}
                    {c.deviation && <Tag tone="violet">Not planned</Tag>}
                    {c.uncertain && <Tag tone="slate">Uncertain</Tag>}
                  </button>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </>
  );
}

function formatOffset(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="break-words text-slate-900">{children}</dd>
    </div>
  );
}
