import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroupMembers, accessGroups } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { matchesText, parsePage, toPage, totalOver } from "@/server/lists/paging";
import { groupRow, withActivations } from "./members";
import { accessGroupPageInput, memberPageInput, type AccessGroupPageInput, type MemberPageInput } from "./schemas";

/*
 * The access-group lists paged on the server (issue 15): the groups, and one group's members. The
 * counts are per row of the page, not grouped over every group as the whole list does.
 */

// Written out qualified: drizzle renders a column inside a select's sql without its table, and an
// unqualified "id" in the subquery would be the member's own id, not the group's.
const countOf = (kind: "user" | "group") =>
  sql<number>`(select count(*)::int from access_group_members m where m.group_id = access_groups.id and m.kind = ${kind})`;
const approverCount = sql<number>`(select count(*)::int from access_group_approvers a where a.group_id = access_groups.id)`;

/** One page of access groups by name, searched by name or description, filtered by enabled. */
export async function pageAccessGroups(user: SessionUser, raw: AccessGroupPageInput) {
  assertCan(user, "read", "AccessGroup");
  const input = parsePage(accessGroupPageInput, raw);
  const where = and(
    matchesText(input.q, [accessGroups.name, accessGroups.description]),
    input.status ? eq(accessGroups.enabled, input.status === "enabled") : undefined,
  );
  const rows = await db
    .select({
      row: accessGroups,
      users: countOf("user"),
      directoryGroups: countOf("group"),
      approvers: approverCount,
      total: totalOver,
    })
    .from(accessGroups)
    .where(where)
    .orderBy(asc(accessGroups.name), asc(accessGroups.id))
    .limit(input.limit)
    .offset(input.offset);
  const page = await toPage(rows, input, async () => (await db.$count(accessGroups, where)) as number);
  return { ...page, items: page.items.map(({ row, ...counts }) => ({ ...row, ...counts })) };
}

/**
 * One page of an access group's members (people first, then AD groups, by name), searched by
 * name, display name or DN. Only the page's AD groups are expanded from the directory.
 */
export async function pageMembers(user: SessionUser, raw: MemberPageInput) {
  assertCan(user, "read", "AccessGroup");
  const input = parsePage(memberPageInput, raw);
  const group = await groupRow(input.id);
  const where = and(
    eq(accessGroupMembers.groupId, group.id),
    matchesText(input.q, [accessGroupMembers.name, accessGroupMembers.displayName, accessGroupMembers.dn]),
    input.kind ? eq(accessGroupMembers.kind, input.kind) : undefined,
  );
  const rows = await db
    .select({ row: accessGroupMembers, total: totalOver })
    .from(accessGroupMembers)
    .where(where)
    .orderBy(asc(accessGroupMembers.kind), asc(accessGroupMembers.name), asc(accessGroupMembers.id))
    .limit(input.limit)
    .offset(input.offset);
  const page = await toPage(rows, input, async () => (await db.$count(accessGroupMembers, where)) as number);
  const { autoGrant, members } = await withActivations(
    group,
    page.items.map((r) => r.row),
  );
  return { ...page, autoGrant, items: members };
}
