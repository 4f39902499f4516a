"use client";

export const th = "px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";
// Below `sm` each row becomes a small card (two columns), with the column names shown inline.
export const td = "px-4 py-3 align-top text-sm max-sm:min-w-0 max-sm:p-0";
export const rowClass = "max-sm:grid max-sm:grid-cols-2 max-sm:gap-x-4 max-sm:gap-y-3 max-sm:p-4";

export function MobileLabel({ children }: { children: string }) {
  return <span className="block text-xs text-slate-500 sm:hidden">{children}</span>;
}

const badge = "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset";

export function SourceBadge({ source }: { source: "directory" | "manual" }) {
  return source === "directory" ? (
    <span className={`${badge} bg-sky-50 text-sky-800 ring-sky-600/30`}>Directory</span>
  ) : (
    <span className={`${badge} bg-violet-50 text-violet-800 ring-violet-600/30`}>Manual</span>
  );
}

export function RemovedBadge() {
  return <span className={`${badge} bg-amber-50 text-amber-900 ring-amber-600/30`}>Not in directory anymore</span>;
}

/** An empty cell, said as a dash. */
export function NoValue() {
  return <span className="text-slate-400">—</span>;
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <NoValue />;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">
          {t}
        </li>
      ))}
    </ul>
  );
}
