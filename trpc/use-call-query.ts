"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { callQuery, type OutputOf, type ProcedurePath } from "./call";

/*
 * React Query's behaviour, the part the inbox uses, over trpc/call.ts: the server's first answer as
 * initial data, a poll while the tab is visible, a refetch when the tab comes back after the data
 * went stale (5 s, as trpc/query-client.ts), one retry after a second, the newest answer wins, and
 * `invalidate(path)` so that a decision refreshes the lists that show it.
 */

const STALE_MS = 5_000;
const RETRY_MS = 1_000;

const listeners = new Map<string, Set<() => void>>();

/** Every mounted `useCallQuery(path)` fetches again (React Query's invalidateQueries). */
export function invalidate(...paths: ProcedurePath[]): void {
  for (const path of paths) for (const refetch of listeners.get(path) ?? []) refetch();
}

export interface CallQuery<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  isError: boolean;
  refetch: () => void;
}

export function useCallQuery<P extends ProcedurePath>(
  path: P,
  { initialData, refetchInterval }: { initialData?: OutputOf<P>; refetchInterval?: number } = {},
): CallQuery<OutputOf<P>> {
  const [state, setState] = useState<{ data?: OutputOf<P>; error?: unknown; failed: boolean }>({ data: initialData, failed: false });
  const latest = useRef(0);
  const fetchedAt = useRef(0);

  const refetch = useCallback(() => {
    const seq = ++latest.current;
    const attempt = (retried: boolean): Promise<void> =>
      callQuery(path).then(
        (data) => {
          if (seq !== latest.current) return;
          fetchedAt.current = Date.now();
          setState({ data, failed: false });
        },
        async (error: unknown) => {
          if (seq !== latest.current) return;
          if (!retried) {
            await new Promise((r) => setTimeout(r, RETRY_MS));
            if (seq === latest.current) return attempt(true);
            return;
          }
          setState((s) => ({ data: s.data, error, failed: true }));
        },
      );
    void attempt(false);
  }, [path]);

  useEffect(() => {
    if (initialData === undefined) refetch();
    else fetchedAt.current = Date.now();
    // Only on mount: the initial data is the server's answer for this render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refetch]);

  useEffect(() => {
    const set = listeners.get(path) ?? new Set();
    listeners.set(path, set);
    set.add(refetch);
    const onShow = () => {
      if (document.visibilityState === "visible" && Date.now() - fetchedAt.current > STALE_MS) refetch();
    };
    window.addEventListener("focus", onShow);
    document.addEventListener("visibilitychange", onShow);
    // Polls only while the page is seen, as React Query's refetchInterval does by default.
    const timer = refetchInterval ? setInterval(() => document.visibilityState === "visible" && refetch(), refetchInterval) : undefined;
    return () => {
      set.delete(refetch);
      window.removeEventListener("focus", onShow);
      document.removeEventListener("visibilitychange", onShow);
      clearInterval(timer);
    };
  }, [path, refetch, refetchInterval]);

  return { data: state.data, error: state.error, isPending: state.data === undefined && !state.failed, isError: state.failed, refetch };
}
