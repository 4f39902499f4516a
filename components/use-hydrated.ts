"use client";

import { useSyncExternalStore } from "react";

const noop = () => () => {};

/**
 * False in the server render and during hydration, true after. Buttons stay disabled until their
 * click handlers exist, so an early click (a person on a slow link, or a test) is not lost.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}
