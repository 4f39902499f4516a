"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading } from "@/components/alerts";
import { CheckboxField, Field, TextField } from "@/components/form-field";
import { Tag } from "@/components/tag";
import { formatWhen } from "@/components/time";
import { useDebounced } from "@/components/use-debounced";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function RecordingsList() {
  const trpc = useTRPC();
  const [state, setState] = useState<"open" | "ended" | "all">("all");
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  const [query, setQuery] = useState("");
  const settled = useDebounced(query.trim(), 300);
  const list = useQuery({
    ...trpc.deviceSessions.list.queryOptions({ state, flaggedOnly, query: settled }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  return (
    <section aria-labelledby="recordings-heading" className="space-y-4">
      <h2 id="recordings-heading" className="text-lg font-semibold text-slate-900">
        Sessions
      </h2>
      <div className="flex flex-wrap items-end gap-4">
        <Field id="recordings-state" label="Show">
          <select
            id="recordings-state"
            className="rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
            value={state}
            onChange={(e) => setState(e.target.value as typeof state)}
          >
            <option value="all">All</option>
            <option value="open">Open</option>
            <option value="ended">Ended</option>
          </select>
        </Field>
        <div className="min-w-48 flex-1">
          <TextField
            id="recordings-search"
            label="Search sessions"
            placeholder="Person, device or login"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <CheckboxField id="recordings-flagged" label="Flagged only" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} />
      </div>
      {list.isPending ? (
        <Loading label="Loading sessions…" />
      ) : list.isError ? (
        <ErrorAlert>{describeError(list.error).message}</ErrorAlert>
      ) : list.data.length === 0 ? (
        <p className="text-sm text-slate-600">No sessions match.</p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-md border border-slate-200 bg-white">
          {list.data.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 p-3 text-sm">
              <div className="min-w-0">
                <Link href={`/admin/recordings/${s.id}`} className="font-medium break-words text-indigo-700 underline">
                  {s.person} on {s.device} as {s.login}
                </Link>
                <p className="text-xs text-slate-600">
                  {formatWhen(s.createdAt)}
                  {s.endReason && ` · ended: ${s.endReason}`} · {s.commands} commands · {formatBytes(s.recordingBytes)}
                </p>
              </div>
              <div className="flex gap-1">
                {s.flagged && <Tag tone="amber">Flagged</Tag>}
                <Tag tone={s.state === "live" ? "sky" : s.state === "failed" ? "red" : "slate"}>{s.state}</Tag>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
