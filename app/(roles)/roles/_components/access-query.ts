import { ACCESS_PAGE_SIZE } from "@/shared/page-numbers";

/** The listing's first page as the server prefetches it (page.tsx) and the browser asks for it: one cache key. */
export const ACCESS_FIRST_INPUT = { search: "", tag: "", limit: ACCESS_PAGE_SIZE };
export const MINE_FIRST_INPUT = { limit: 20 };

export const nextCursor = <T extends { nextCursor: unknown }>(page: T) => page.nextCursor as T["nextCursor"];
