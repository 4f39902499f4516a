import { z } from "zod";

/*
 * Server-side paging for the admin lists (issue 15): offset + limit with a total, so a list of
 * thousands answers with one page. The bound is enforced twice: by this schema at the procedure
 * and by `pageWindow` in each service (scripts and tests call services without tRPC).
 */

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
/** Beyond this a person searches; it also bounds OFFSET's cost. */
export const MAX_PAGE = 10_000;

export const searchText = z.string().trim().max(100, "At most 100 characters").default("");

export const pageInput = z.object({
  q: searchText,
  page: z.number().int().min(1).max(MAX_PAGE).default(1),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});
export type PageInput = z.input<typeof pageInput>;

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
