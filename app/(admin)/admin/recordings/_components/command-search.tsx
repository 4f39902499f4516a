"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading } from "@/components/alerts";
import { Button } from "@/components/button";
import { TextField } from "@/components/form-field";
import { formatDateTime } from "@/components/time";

/** "Who ran Set-ADUser last week": commands across every session. */
export function CommandSearch() {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [submitted, setSubmitted] = useState<{ query: string; since?: Date; until?: Date } | null>(null);
  const results = useQuery({ ...trpc.deviceSessions.searchCommands.queryOptions(submitted ?? { query: "-" }), enabled: submitted !== null });

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!query.trim()) return;
    setSubmitted({ query: query.trim(), since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined });
  }

  return (
    <section aria-labelledby="command-search-heading" className="mt-10 space-y-4">
      <h2 id="command-search-heading" className="text-lg font-semibold text-slate-900">
        Commands
      </h2>
      <form noValidate onSubmit={submit} className="flex flex-wrap items-end gap-3" role="search" aria-label="Search commands">
        <div className="min-w-48 flex-1">
          <TextField
            id="command-search"
            label="Who ran…"
            placeholder="Part of a command, e.g. Set-ADUser"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <TextField id="command-since" label="From" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        <TextField id="command-until" label="To" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        <Button type="submit" pending={results.isFetching}>
          Search commands
        </Button>
      </form>
      {submitted &&
        (results.isPending ? (
          <Loading label="Searching…" />
        ) : results.isError ? (
          <ErrorAlert>{describeError(results.error).message}</ErrorAlert>
        ) : results.data.length === 0 ? (
          <p className="text-sm text-slate-600">No command matches.</p>
        ) : (
          <ul aria-label="Matching commands" className="divide-y divide-slate-200 rounded-md border border-slate-200 bg-white text-sm">
            {results.data.map((r) => (
              <li key={`${r.sessionId}-${r.at.toString()}-${r.command}`} className="p-3">
                <code className="break-all">{r.command}</code>
                <p className="text-xs text-slate-600">
                  {r.person} as {r.login} on {r.device}, {formatDateTime(r.at)} ·{" "}
                  <Link href={`/admin/recordings/${r.sessionId}?at=${r.offset}`} className="text-indigo-700 underline">
                    Open session
                  </Link>
                </p>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
