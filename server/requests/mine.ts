import "server-only";
import { requesterErrorText } from "@/server/grants/error-text";
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { db } from "@/db";
import { catalogCredentials, grants, privilegeSets, privileges, requests } from "@/db/schema";
import { levelCountSql } from "@/server/approvals/levels";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { foldSetRequests } from "@/server/privilege-sets/my-access";
import { MAX_SET_PRIVILEGES } from "@/server/privilege-sets/schemas";
import { LIVE_GRANT_STATES } from "@/server/grants/states";
import { mineInput, type MineInput } from "./schemas";

/** Most live requests listed at once (one person rarely has more than a handful). */
const MAX_LIVE = 200;

/**
 * "My access": every request still live (waiting, or with a grant not ended yet) first, then the
 * earlier ones a page at a time (keyset on the request time, to the millisecond, and id, newest
 * first). A cursor asks for the next "Earlier" page only. Each list newest first.
 */
export async function listMyRequests(user: SessionUser, raw: unknown = {}) {
  assertCan(user, "read", "Request", { userId: user.id });
  const input: MineInput = mineInput.parse(raw);
  const live = sql`(${requests.status} = 'pending' or exists (select 1 from grants lg where lg.request_id = ${requests.id} and lg.state::text = any(string_to_array(${LIVE_GRANT_STATES.join(",")}, ','))))`;
  const at = sql`date_trunc('milliseconds', ${requests.createdAt})`;
  const after = input.cursor
    ? sql`(${at}, ${requests.id}) < (${input.cursor.requestedAt.toISOString()}::timestamptz, ${input.cursor.requestId}::uuid)`
    : undefined;
  const [current, earlier] = await Promise.all([
    input.cursor ? Promise.resolve([]) : requestRows(user, live, MAX_LIVE),
    requestRows(user, and(sql`not ${live}`, after)!, input.limit + 1),
  ]);
  const more = earlier.length > input.limit;
  const page = earlier.slice(0, input.limit);
  const last = page.at(-1);
  return { live: current, earlier: page, nextCursor: more && last ? { requestedAt: last.requestedAt, requestId: last.requestId } : null };
}

/** The user's requests matching `where` with their grants' live state, newest first. A set request is one row named after the set, with its grants inside (setGrants). */
async function requestRows(user: SessionUser, where: SQL, limit: number) {
  const grantPrivilege = alias(privileges, "grant_privilege");
  const rows = await db
    .select({
      requestId: requests.id,
      privilegeId: privileges.id,
      privilege: privileges.name,
      privilegeSet: privilegeSets.name,
      /** A set request: its privileges as frozen at submission (shown while no grant exists yet). */
      setPrivileges: sql<string[] | null>`(select array_agg(p.name order by p.name) from privileges p where p.id = any(${requests.setPrivilegeIds}))`,
      grantPrivilege: grantPrivilege.name,
      account: catalogCredentials.username,
      accessGroup: sql<string | null>`${requests.policy} -> 'group' ->> 'name'`,
      durationMinutes: requests.durationMinutes,
      justification: requests.justification,
      requestedAt: requests.createdAt,
      status: requests.status,
      decidedAt: requests.decidedAt,
      outcomeComment: requests.outcomeComment,
      windowEndsAt: requests.windowEndsAt,
      kind: requests.kind,
      startsAt: requests.startsAt,
      emergency: requests.emergency,
      currentLevel: requests.currentLevel,
      levels: levelCountSql(requests.policy),
      grantId: grants.id,
      grantState: grants.state,
      activatedAt: grants.activatedAt,
      expiresAt: grants.expiresAt,
      removedAt: grants.removedAt,
      removalVerifiedAt: grants.removalVerifiedAt,
      /** Per DC: whether the add (or the removal) has reached it yet. */
      replication: grants.replication,
      extendedMinutes: grants.extendedMinutes,
      allowExtension: privileges.allowExtension,
      maxTotalMinutes: sql<number>`coalesce(${privileges.maxTotalMinutes}, ${privileges.maxDurationMinutes})`,
      /** An extension of this grant waiting for approval. */
      pendingExtension: sql<{
        requestId: string;
        minutes: number;
      } | null>`(select json_build_object('requestId', e.id, 'minutes', e.duration_minutes) from requests e where e.extends_grant_id = ${grants.id} and e.status = 'pending' limit 1)`,
      endReason: grants.endReason,
      lastError: grants.lastError,
      attempts: grants.attempts,
    })
    .from(requests)
    .innerJoin(privileges, eq(privileges.id, requests.privilegeId))
    .leftJoin(privilegeSets, eq(privilegeSets.id, requests.privilegeSetId))
    .leftJoin(catalogCredentials, eq(catalogCredentials.id, requests.credentialId))
    .leftJoin(grants, eq(grants.requestId, requests.id))
    .leftJoin(grantPrivilege, eq(grantPrivilege.id, grants.privilegeId))
    // Extension requests show on the grant they extend (pendingExtension), not as rows of their own.
    .where(and(eq(requests.requesterId, user.id), eq(requests.kind, "access"), where))
    .orderBy(desc(sql`date_trunc('milliseconds', ${requests.createdAt})`), desc(requests.id))
    // A set request has a row per grant: room for some sets.
    .limit(limit + MAX_SET_PRIVILEGES);
  // The last request may have lost grants to the limit: left out rather than shown in part.
  const complete = rows.length < limit + MAX_SET_PRIVILEGES ? rows : rows.filter((r) => r.requestId !== rows.at(-1)!.requestId);
  // The directory's detail (addresses, diagnostics) stays with admins.
  return foldSetRequests(complete.map((r) => ({ ...r, lastError: requesterErrorText(r.lastError) }))).slice(0, limit);
}
