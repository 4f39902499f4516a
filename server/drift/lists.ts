import "server-only";
import { and, asc, count, eq, isNull, or, sql } from "drizzle-orm";
import type { z } from "zod";
import { db } from "@/db";
import { driftFindings, privilegeDriftSettings, privileges, users } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { matchesText, parsePage, toPage, totalOver } from "@/server/lists/paging";
import { driftFindingsPageInput, driftSettingsPageInput, type DriftFindingsPageInput, type DriftSettingsPageInput } from "./schemas";
import { findingColumns, openFinding, resolver } from "./service";

/*
 * The drift page's two long lists, one page at a time (issue 15): a settings row per privilege
 * group (1,000 groups made a 94,000-pixel page), and the current findings.
 */

/** One page of managed groups with their drift action (alert unless set) and open findings. */
export async function pageDriftSettings(user: SessionUser, raw: DriftSettingsPageInput) {
  assertCan(user, "read", "Directory");
  const input = parsePage(driftSettingsPageInput, raw);
  const rows = await settingsRows(input, input.limit, input.offset);
  // Past the last page: the first row still carries the total.
  return toPage(rows, input, async () => (await settingsRows(input, 1, 0))[0]?.total ?? 0);
}

function settingsRows(input: z.output<typeof driftSettingsPageInput>, limit: number, offset: number) {
  const openByPrivilege = db
    .select({ privilegeId: driftFindings.privilegeId, n: count().as("n") })
    .from(driftFindings)
    .where(openFinding)
    .groupBy(driftFindings.privilegeId)
    .as("open_by_privilege");
  const action = sql<"alert" | "remove">`coalesce(${privilegeDriftSettings.action}, 'alert')`;
  return db
    .select({
      privilegeId: privileges.id,
      privilege: privileges.name,
      groupDn: privileges.groupDn,
      enabled: privileges.enabled,
      action,
      updatedAt: privilegeDriftSettings.updatedAt,
      updatedBy: users.username,
      openCount: sql<number>`coalesce(${openByPrivilege.n}, 0)::int`,
      total: totalOver,
    })
    .from(privileges)
    .leftJoin(privilegeDriftSettings, eq(privilegeDriftSettings.privilegeId, privileges.id))
    .leftJoin(users, eq(users.id, privilegeDriftSettings.updatedBy))
    .leftJoin(openByPrivilege, eq(openByPrivilege.privilegeId, privileges.id))
    .where(
      and(
        matchesText(input.q, [privileges.name, privileges.groupDn]),
        input.action ? sql`${action} = ${input.action}` : undefined,
        input.withFindings ? sql`${openByPrivilege.n} > 0` : undefined,
      ),
    )
    .orderBy(asc(privileges.name), asc(privileges.id))
    .limit(limit)
    .offset(offset);
}

/** One page of current findings: open ones first (oldest first), then the accepted ones whose member is still there. */
export async function pageFindings(user: SessionUser, raw: DriftFindingsPageInput) {
  assertCan(user, "read", "Directory");
  const input = parsePage(driftFindingsPageInput, raw);
  const rows = await findingRows(input, input.limit, input.offset);
  return toPage(rows, input, async () => (await findingRows(input, 1, 0))[0]?.total ?? 0);
}

function findingRows(input: z.output<typeof driftFindingsPageInput>, limit: number, offset: number) {
  const current = and(isNull(driftFindings.clearedAt), or(openFinding, eq(driftFindings.resolution, "accepted")));
  return db
    .select({ ...findingColumns, total: totalOver })
    .from(driftFindings)
    .innerJoin(privileges, eq(privileges.id, driftFindings.privilegeId))
    .leftJoin(resolver, eq(resolver.id, driftFindings.resolvedBy))
    .where(
      and(
        current,
        input.state === "open" ? openFinding : input.state === "accepted" ? eq(driftFindings.resolution, "accepted") : undefined,
        matchesText(input.q, [driftFindings.memberName, driftFindings.memberDn, driftFindings.groupDn, privileges.name]),
      ),
    )
    .orderBy(sql`${driftFindings.resolution} is not null`, asc(driftFindings.firstSeenAt), asc(driftFindings.id))
    .limit(limit)
    .offset(offset);
}
