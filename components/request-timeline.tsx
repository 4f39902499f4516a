"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { describeError, TRPCReactProvider, useTRPC } from "@/trpc/client";
import { Loading, QueryError } from "./alerts";
import { Countdown } from "./countdown";
import type { RouterOutputs } from "./router-types";
import { formatWhen } from "./time";
import { useNow } from "./use-now";

type Step = RouterOutputs["requests"]["timeline"]["steps"][number];
type Tone = Step["tone"];

// The same palette as StateBadge and the progress steps: green done, sky in progress, red failed.
const dot: Record<Tone, string> = {
  done: "bg-emerald-500 ring-emerald-100",
  current: "bg-sky-500 ring-sky-100 animate-pulse",
  failed: "bg-red-500 ring-red-100",
  upcoming: "bg-white ring-slate-300",
};

const labelText: Record<Tone, string> = {
  done: "text-slate-900",
  current: "text-sky-900",
  failed: "text-red-800",
  upcoming: "text-slate-500",
};

const spoken: Record<Tone, string> = { done: "done", current: "in progress", failed: "failed", upcoming: "to come" };

/** Still moving: the worker or an approver acts next, so poll for it. */
const moving = (steps: Step[] | undefined) => {
  const tone = steps?.at(-1)?.tone;
  return tone === "current" || tone === "upcoming";
};

function When({ step }: { step: Step }) {
  if (!step.at) return null;
  const time = (
    <time dateTime={step.at} className="tabular-nums">
      {formatWhen(step.at)}
    </time>
  );
  return step.key === "next:expires" ? <CountdownAnd until={step.at}>{time}</CountdownAnd> : time;
}

/** "in mm:ss · 10:32": the countdown only renders in the browser, so the separator waits for it. */
function CountdownAnd({ until, children }: { until: string; children: React.ReactNode }) {
  if (useNow() === null) return children;
  return (
    <>
      <Countdown until={new Date(until)} prefix="in" className="font-medium text-slate-700" /> <span aria-hidden="true">·</span> {children}
    </>
  );
}

/** Requested, decisions, provisioning, active, removal: each step with its time and who did it. */
export function RequestTimeline({ requestId, className = "" }: { requestId: string; className?: string }) {
  const trpc = useTRPC();
  const timeline = useQuery({
    ...trpc.requests.timeline.queryOptions({ requestId }),
    refetchInterval: (query) => (moving(query.state.data?.steps) ? 5000 : false),
  });

  if (timeline.isPending) return <Loading label="Loading the timeline…" />;
  if (timeline.isError) return <QueryError message={describeError(timeline.error).message} onRetry={() => void timeline.refetch()} />;

  return (
    <ol aria-label="Request timeline" className={`ml-1.5 border-l border-slate-200 ${className}`}>
      {timeline.data.steps.map((step) => {
        // People's actions name them in the label; the rest (the worker's) get a by-line.
        const byline = step.actor && !step.label.includes(step.actor) ? step.actor : null;
        return (
          <li key={step.key} aria-current={step.tone === "current" ? "step" : undefined} className="relative pb-4 pl-5 last:pb-0">
            <span aria-hidden="true" className={`absolute top-1 -left-[7px] size-3 rounded-full ring-4 ${dot[step.tone]}`} />
            <p className={`text-sm font-medium break-words ${labelText[step.tone]}`}>
              {step.label}
              {step.until && (
                <>
                  {" "}
                  until{" "}
                  <time dateTime={step.until} className="tabular-nums">
                    {formatWhen(step.until)}
                  </time>
                </>
              )}
              <span className="sr-only"> ({spoken[step.tone]})</span>
            </p>
            {(step.at || byline) && (
              <p className="mt-0.5 text-xs text-slate-500">
                <When step={step} />
                {step.at && byline && <span aria-hidden="true"> · </span>}
                {byline && <span>by {byline}</span>}
              </p>
            )}
            {step.detail && <p className="mt-0.5 text-xs break-words whitespace-pre-line text-slate-600">{step.detail}</p>}
            {step.href && (
              <Link href={step.href} className="mt-0.5 inline-block text-xs font-medium text-indigo-700 underline">
                Open the recording
              </Link>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/**
 * The timeline with the tRPC and React Query providers it reads from: the inbox has none on its
 * first load (components/app-shell.tsx), so they come with this chunk. Elsewhere it nests inside
 * the page's own, on the same browser query client.
 */
export function RequestTimelinePanel({ requestId }: { requestId: string }) {
  return (
    <TRPCReactProvider>
      <RequestTimeline requestId={requestId} />
    </TRPCReactProvider>
  );
}
