"use client";

import { useEffect, useId, useState } from "react";
import { pageCount } from "@/shared/page-numbers";
import { Button } from "./button";
import { controlClass } from "./form-field";
import { useDebounced } from "./use-debounced";
import type { ListState } from "./use-list-state";

/*
 * Above a paged admin list: a search box (debounced), filter chips and "N of M"; below it, the
 * pager. The list's state is in the address (useListState); the server pages, searches and
 * filters (shared/paging.ts), so the browser never holds more than one page.
 */

export interface ListFilter<F extends string> {
  key: F;
  label: string;
  options: { value: string; label: string }[];
  /** The chip for no value: "All" unless the list reads no value otherwise (e.g. "Hidden"). */
  allLabel?: string;
}

export function ListToolbar<F extends string>(props: {
  state: ListState<F>;
  /** "Search privileges": the search box's label. */
  searchLabel: string;
  placeholder?: string;
  filters?: ListFilter<F>[];
  /** The answer's total (undefined while the first page loads). */
  total: number | undefined;
  /** Plural noun for "12 of 1,004 privileges". */
  noun: string;
}) {
  const { state } = props;
  const id = useId();
  const [text, setText] = useState(state.q);
  const settled = useDebounced(text.trim(), 300);
  const { q, setQ } = state;
  useEffect(() => {
    if (settled !== q) setQ(settled);
    // Only a settled change of the box writes the address; `q` changing (back, a link) is read below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled]);
  const [seenQ, setSeenQ] = useState(q);
  if (q !== seenQ) {
    setSeenQ(q);
    if (q !== text.trim()) setText(q);
  }

  return (
    <div className="flex flex-wrap items-end gap-x-6 gap-y-3" role="search" aria-label={props.searchLabel}>
      <div className="w-full max-w-md min-w-0 space-y-1">
        <label htmlFor={`${id}-q`} className="block text-sm font-medium text-slate-800">
          {props.searchLabel}
        </label>
        <input
          id={`${id}-q`}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={props.placeholder}
          maxLength={100}
          autoComplete="off"
          className={controlClass(false)}
        />
      </div>
      {props.filters?.map((f) => (
        <FilterChips key={f.key} filter={f} value={state.filters[f.key]} onChange={(v) => state.setFilter(f.key, v)} />
      ))}
      <p className="pb-2 text-sm text-slate-600 tabular-nums" aria-live="polite">
        {props.total === undefined ? "\u00a0" : <Shown page={state.page} pageSize={state.pageSize} total={props.total} noun={props.noun} />}
      </p>
    </div>
  );
}

function Shown({ page, pageSize, total, noun }: { page: number; pageSize: number; total: number; noun: string }) {
  if (total === 0) return <>No {noun}</>;
  const first = Math.min((page - 1) * pageSize + 1, total);
  const last = Math.min(page * pageSize, total);
  return (
    <>
      {first.toLocaleString("en")}–{last.toLocaleString("en")} of {total.toLocaleString("en")} {noun}
    </>
  );
}

function FilterChips<F extends string>({
  filter,
  value,
  onChange,
}: {
  filter: ListFilter<F>;
  value: string | undefined;
  onChange: (v: string | undefined) => void;
}) {
  const chip = (selected: boolean) =>
    `rounded-full px-3 py-1 text-sm ring-1 ring-inset ${selected ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`;
  return (
    <fieldset className="min-w-0">
      <legend className="mb-1 text-sm font-medium text-slate-800">{filter.label}</legend>
      <div className="flex flex-wrap gap-1.5">
        <button type="button" className={chip(!value)} aria-pressed={!value} onClick={() => onChange(undefined)}>
          {filter.allLabel ?? "All"}
        </button>
        {filter.options.map((o) => (
          <button key={o.value} type="button" className={chip(value === o.value)} aria-pressed={value === o.value} onClick={() => onChange(o.value)}>
            {o.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

/** Previous / next and "Page 2 of 41"; nothing when everything fits on one page. */
export function Pager({ state, total, label }: { state: Pick<ListState<string>, "page" | "pageSize" | "setPage">; total: number | undefined; label: string }) {
  if (total === undefined) return null;
  const pages = pageCount(total, state.pageSize);
  if (pages <= 1 && state.page <= 1) return null;
  return (
    <nav aria-label={label} className="flex flex-wrap items-center justify-between gap-3">
      <Button onClick={() => state.setPage(state.page - 1)} disabled={state.page <= 1}>
        Previous page
      </Button>
      <span className="text-sm text-slate-600 tabular-nums">
        Page {state.page.toLocaleString("en")} of {pages.toLocaleString("en")}
      </span>
      <Button onClick={() => state.setPage(Math.min(state.page + 1, pages))} disabled={state.page >= pages}>
        Next page
      </Button>
    </nav>
  );
}
