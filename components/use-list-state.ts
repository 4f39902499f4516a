"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { DEFAULT_PAGE_SIZE, MAX_PAGE } from "@/shared/paging";

/*
 * A list's search, filters and page live in the address (`?q=sql&status=enabled&page=2`), so a
 * filtered view can be linked and survives a reload. Two lists on one page take a prefix
 * (`?findings.q=…`). history.replaceState keeps it to the browser: Next syncs useSearchParams
 * with it and no server round trip happens for a keystroke.
 */

export interface ListState<F extends string> {
  q: string;
  page: number;
  pageSize: number;
  filters: Partial<Record<F, string>>;
  setQ: (q: string) => void;
  setPage: (page: number) => void;
  /** Undefined clears the filter. Changing a filter goes back to the first page. */
  setFilter: (key: F, value: string | undefined) => void;
}

export function useListState<F extends string = never>(opts: { prefix?: string; filters?: readonly F[]; pageSize?: number } = {}): ListState<F> {
  const params = useSearchParams();
  const pathname = usePathname();
  const { prefix, filters: filterKeys = [], pageSize = DEFAULT_PAGE_SIZE } = opts;
  const key = useCallback((k: string) => (prefix ? `${prefix}.${k}` : k), [prefix]);

  const q = params.get(key("q")) ?? "";
  const rawPage = Number(params.get(key("page")) ?? "1");
  const page = Number.isInteger(rawPage) && rawPage >= 1 ? Math.min(rawPage, MAX_PAGE) : 1;
  // A string, so the filters object keeps its identity (and the query its key) while they stay the same.
  const filterSignature = JSON.stringify(filterKeys.map((f) => params.get(key(f))));
  const filters = useMemo(() => {
    const values = JSON.parse(filterSignature) as (string | null)[];
    const out: Partial<Record<F, string>> = {};
    filterKeys.forEach((f, i) => {
      if (values[i]) out[f] = values[i];
    });
    return out;
    // filterKeys is read through the signature, which names every key's value.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filterSignature]);

  const update = useCallback(
    (changes: Record<string, string | undefined>) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined || v === "") next.delete(key(k));
        else next.set(key(k), v);
      }
      if (!("page" in changes)) next.delete(key("page"));
      const search = next.toString();
      window.history.replaceState(window.history.state, "", `${pathname}${search ? `?${search}` : ""}${window.location.hash}`);
    },
    [key, pathname],
  );

  return {
    q,
    page,
    pageSize,
    filters,
    setQ: useCallback((value: string) => update({ q: value.trim() || undefined }), [update]),
    setPage: useCallback((value: number) => update({ page: value > 1 ? String(value) : undefined }), [update]),
    setFilter: useCallback((k: F, value: string | undefined) => update({ [k]: value }), [update]),
  };
}
