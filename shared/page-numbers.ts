/**
 * Page numbers and bounds for the admin lists (issue 15), without zod: the browser's list
 * components import these, and the client-bundle guard (tests/unit/client-imports.test.ts)
 * keeps zod out of them. The input schema is in shared/paging.ts.
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

/** The roles page's listing: privileges per page ("show more" asks for the next). */
export const ACCESS_PAGE_SIZE = 24;
