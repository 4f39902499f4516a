import type { ReactNode } from "react";

export type TagTone = "red" | "amber" | "indigo" | "sky" | "slate" | "violet";

// The palette of StateBadge, for labels that are not grant states (emergency, extension, level…).
const tone: Record<TagTone, string> = {
  red: "bg-red-50 text-red-800 ring-red-600/30",
  amber: "bg-amber-50 text-amber-900 ring-amber-600/30",
  indigo: "bg-indigo-50 text-indigo-800 ring-indigo-600/30",
  sky: "bg-sky-50 text-sky-800 ring-sky-600/30",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/30",
  violet: "bg-violet-50 text-violet-800 ring-violet-600/30",
};

/** A small rounded label beside a heading. */
export function Tag({ tone: t, children }: { tone: TagTone; children: ReactNode }) {
  return <span className={`inline-flex shrink-0 items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tone[t]}`}>{children}</span>;
}
