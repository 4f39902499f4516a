/*
 * The admin lists' page bounds and answer shape, without zod: the list toolbar and its address
 * state are client modules (tests/unit/client-imports.test.ts keeps zod out of them).
 */

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
/** Beyond this a person searches; it also bounds OFFSET's cost. */
export const MAX_PAGE = 10_000;

export interface Page<T> {
  items: T[];
  /** Rows matching the search and filters, over all pages. */
  total: number;
  page: number;
  pageSize: number;
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}
