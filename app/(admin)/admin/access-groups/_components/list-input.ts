import { ACCESS_GROUP_STATUS, MEMBER_KINDS, type AccessGroupPageInput, type MemberPageInput } from "@/server/access-groups/schemas";

type ListParams<F extends string> = { q: string; page: number; pageSize: number; filters: Partial<Record<F, string>> };

export const ACCESS_GROUP_FILTERS = ["status"] as const;
export const ACCESS_GROUP_PAGE_SIZE = 20;

/** The list's address → accessGroups.groups.page's input, on the server (prefetch) and in the browser alike; values the server would refuse are dropped. */
export function accessGroupPageOf(list: ListParams<"status">): AccessGroupPageInput {
  return { q: list.q, page: list.page, pageSize: list.pageSize, status: ACCESS_GROUP_STATUS.find((v) => v === list.filters.status) };
}

export const MEMBER_FILTERS = ["kind"] as const;
export const MEMBER_PAGE_SIZE = 20;

/** The users tab's address → accessGroups.users.page's input. */
export function memberPageOf(groupId: string, list: ListParams<"kind">): MemberPageInput {
  return { id: groupId, q: list.q, page: list.page, pageSize: list.pageSize, kind: MEMBER_KINDS.find((v) => v === list.filters.kind) };
}
