import type { ReactNode } from "react";

/**
 * One chart of the dashboard: a <figure> whose caption says what it shows, the chart (hidden from
 * screen readers) and the same numbers as a table under "Show as table". With no data the figure
 * says so instead of drawing an empty chart.
 */
export function ChartFigure({
  id,
  title,
  caption,
  emptyText,
  chart,
  table,
}: {
  id: string;
  title: string;
  caption: ReactNode;
  /** Set when there is nothing to draw: shown instead of the chart and the table. */
  emptyText?: string | null;
  chart: ReactNode;
  table: ReactNode;
}) {
  return (
    <figure aria-labelledby={`${id}-title`} className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <figcaption className="mb-3">
        <h3 id={`${id}-title`} className="text-base font-semibold text-slate-900">
          {title}
        </h3>
        <p className="mt-0.5 text-sm text-slate-600">{caption}</p>
      </figcaption>
      {emptyText ? (
        <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-600">{emptyText}</p>
      ) : (
        <>
          <div aria-hidden="true">{chart}</div>
          <details className="mt-3 text-sm">
            <summary className="cursor-pointer font-medium text-indigo-700 hover:text-indigo-900">Show as table</summary>
            {/* Focusable: a keyboard scrolls a long table too (and axe asks for it). */}
            <div
              role="region"
              aria-label={`${title}: table`}
              tabIndex={0}
              className="mt-2 max-h-80 overflow-auto focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              {table}
            </div>
          </details>
        </>
      )}
    </figure>
  );
}

/** A plain data table: header row, one row per bucket or item, numbers right-aligned. */
export function DataTable({ caption, columns, rows }: { caption: string; columns: string[]; rows: { key: string | number; cells: ReactNode[] }[] }) {
  return (
    <table className="w-full text-left text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead className="sticky top-0 bg-white">
        <tr className="border-b border-slate-200">
          {columns.map((c, i) => (
            <th key={c} scope="col" className={`px-2 py-1.5 font-medium text-slate-700 ${i > 0 ? "text-right" : ""}`}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((r) => (
          <tr key={r.key}>
            {r.cells.map((cell, i) =>
              i === 0 ? (
                <th key={i} scope="row" className="px-2 py-1 font-normal whitespace-nowrap text-slate-800">
                  {cell}
                </th>
              ) : (
                <td key={i} className="px-2 py-1 text-right text-slate-800 tabular-nums">
                  {cell}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Where a chart will be, the same height (240 px), while its code loads (the table is already there).
 * A class, not a style attribute: the server renders it, and the CSP refuses inline style attributes.
 */
export function ChartPlaceholder() {
  return <div className="h-60 animate-pulse rounded-md bg-slate-50" />;
}
