import { GRANT_MECHANISMS, PRIVILEGE_STATUS, type PrivilegePageInput } from "@/server/privileges/schemas";

export const PRIVILEGE_FILTERS = ["status", "mechanism"] as const;
export type PrivilegeFilter = (typeof PRIVILEGE_FILTERS)[number];
/** A phone shows a page without a long scroll (a privilege is a card there). */
export const PRIVILEGE_PAGE_SIZE = 20;

/** The list's address → privileges.page's input, on the server (prefetch) and in the browser alike; values the server would refuse are dropped. */
export function privilegePageOf(list: { q: string; page: number; pageSize: number; filters: Partial<Record<PrivilegeFilter, string>> }): PrivilegePageInput {
  const { status, mechanism } = list.filters;
  return {
    q: list.q,
    page: list.page,
    pageSize: list.pageSize,
    status: PRIVILEGE_STATUS.find((v) => v === status),
    mechanism: GRANT_MECHANISMS.find((v) => v === mechanism),
  };
}
