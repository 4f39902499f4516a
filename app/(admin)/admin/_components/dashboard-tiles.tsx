"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/trpc/client";
import type { Summary } from "./dashboard-format";

/** Seconds after which a worker counts as gone (as worker-heartbeats.tsx and server/ops/heartbeat.ts). */
const FRESH_SECONDS = 60;

type Tone = "calm" | "warn" | "alert";
const TONES: Record<Tone, string> = {
  calm: "border-slate-200 bg-white",
  warn: "border-amber-300 bg-amber-50",
  alert: "border-red-300 bg-red-50",
};

function Tile({ label, value, note, tone, href }: { label: string; value: number | string; note: string; tone: Tone; href?: string }) {
  const body = (
    <>
      <span className="block text-sm font-medium text-slate-700">{label}</span>
      <span className="mt-1 block text-3xl font-semibold text-slate-900 tabular-nums">{value}</span>
      <span className={`mt-1 block text-xs ${tone === "calm" ? "text-slate-600" : tone === "warn" ? "text-amber-900" : "text-red-900"}`}>{note}</span>
    </>
  );
  const box = `block h-full rounded-lg border px-4 py-3 shadow-sm ${TONES[tone]}`;
  return (
    <li>
      {href ? (
        <Link href={href} className={`${box} hover:border-indigo-400 focus-visible:outline-2 focus-visible:outline-indigo-600`}>
          {body}
        </Link>
      ) : (
        <div className={box}>{body}</div>
      )}
    </li>
  );
}

/** Where things stand now, each figure linking to where it is dealt with; the tone is also said in words. */
export function DashboardTiles({ counts }: { counts: Summary["counts"] }) {
  const trpc = useTRPC();
  const workers = useQuery({ ...trpc.overview.workers.queryOptions(), refetchInterval: 15_000 });
  const running = workers.data?.filter((w) => w.ageSeconds <= FRESH_SECONDS).length;
  const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

  return (
    <ul aria-label="At a glance" className="mb-8 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      <Tile label="Active grants" value={counts.activeGrants} note="in the directory now" tone="calm" href="/admin/grants" />
      <Tile label="Pending requests" value={counts.pendingRequests} note={counts.pendingRequests ? "waiting for approvers" : "nothing waiting"} tone="calm" />
      <Tile
        label="Open drift findings"
        value={counts.openDriftFindings}
        note={counts.openDriftFindings ? `${plural(counts.openDriftFindings, "needs", "need")} a look` : "directory matches"}
        tone={counts.openDriftFindings ? "warn" : "calm"}
        href="/admin/drift"
      />
      <Tile
        label="Emergencies to review"
        value={counts.unreviewedEmergencies}
        note={counts.unreviewedEmergencies ? "granted without approval" : "all reviewed"}
        tone={counts.unreviewedEmergencies ? "alert" : "calm"}
        href="#emergency-flags-heading"
      />
      <Tile
        label="Workers running"
        value={running ?? "…"}
        note={running === undefined ? "checking" : running ? "heartbeat in the last minute" : "none: nothing is granted or removed"}
        tone={running === 0 ? "alert" : "calm"}
        href="#workers-heading"
      />
    </ul>
  );
}
