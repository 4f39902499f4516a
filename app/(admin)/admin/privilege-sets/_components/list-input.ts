import { PRIVILEGE_SET_STATUS, type PrivilegeSetPageInput } from "@/server/privilege-sets/schemas";

export const PRIVILEGE_SET_FILTERS = ["status"] as const;
export const PRIVILEGE_SET_PAGE_SIZE = 20;

/** The list's address → privilegeSets.page's input, on the server (prefetch) and in the browser alike; values the server would refuse are dropped. */
export function privilegeSetPageOf(list: { q: string; page: number; pageSize: number; filters: Partial<Record<"status", string>> }): PrivilegeSetPageInput {
  return { q: list.q, page: list.page, pageSize: list.pageSize, status: PRIVILEGE_SET_STATUS.find((v) => v === list.filters.status) };
}
