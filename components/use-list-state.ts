"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { DEFAULT_PAGE_SIZE } from "@/shared/page-numbers";
import { paramName, readListParams } from "./list-params";

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
  const key = useCallback((k: string) => paramName(prefix, k), [prefix]);

  // A string, so the filters object keeps its identity (and the query its key) while they stay the same.
  const read = readListParams(params, { prefix, filters: filterKeys, pageSize });
  const filterSignature = JSON.stringify(read.filters);
  const filters = useMemo(() => JSON.parse(filterSignature) as Partial<Record<F, string>>, [filterSignature]);
  const { q, page } = read;

  const update = useCallback(
    (changes: Record<string, string | undefined>) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined || v === "") next.delete(key(k));
        else next.set(key(k), v);
      }
      if (!("page" in changes)) next.delete(key("page"));
      const search = next.toString();
      // `null`, not history.state: Next's patched replaceState takes a state carrying its own `__NA`
      // mark for one of its internal calls and then does not sync useSearchParams (the address
      // changed, the list did not). Next copies its internal state onto the entry itself.
      window.history.replaceState(null, "", `${pathname}${search ? `?${search}` : ""}${window.location.hash}`);
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
