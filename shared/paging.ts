import { z } from "zod";
import { DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE } from "./page-numbers";

export { DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, pageCount, type Page } from "./page-numbers";

/*
 * Server-side paging for the admin lists (issue 15): offset + limit with a total, so a list of
 * thousands answers with one page. The bound is enforced twice: by this schema at the procedure
 * and by `pageWindow` in each service (scripts and tests call services without tRPC).
 */

export const searchText = z.string().trim().max(100, "At most 100 characters").default("");

export const pageInput = z.object({
  q: searchText,
  page: z.number().int().min(1).max(MAX_PAGE).default(1),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});
export type PageInput = z.input<typeof pageInput>;
