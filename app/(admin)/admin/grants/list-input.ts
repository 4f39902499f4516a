import { LIVE_GRANT_FILTERS, type LiveGrantPageInput } from "@/server/grants/schemas";

export const GRANT_LIST_FILTERS = ["state"] as const;
/** A grant is a tall card on a phone: 20 keep the page short. */
export const GRANT_PAGE_SIZE = 20;

/** The list's address → grants.page's input, on the server (prefetch) and in the browser alike; values the server would refuse are dropped. */
export function grantPageOf(list: { q: string; page: number; pageSize: number; filters: Partial<Record<"state", string>> }): LiveGrantPageInput {
  return { q: list.q, page: list.page, pageSize: list.pageSize, state: LIVE_GRANT_FILTERS.find((v) => v === list.filters.state) };
}
