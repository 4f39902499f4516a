import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { addMembers } from "@/server/directory/service";
import { env } from "@/server/env";
import { IN_DIRECTORY_STATES } from "./states";

/**
 * After Interim took members out of a group (drift: auto-removal or "Remove now"), puts back those
 * a grant in the directory holds by now — one that started while we removed. Its first add found
 * the member still there and took the membership for someone else's (pre_existing): now it is the
 * grant's own, so the flag is cleared and the grant's end removes it. The grants are locked, so
 * the expiry sweep cannot end one meanwhile (those near their end are left to it); a TTL grant
 * gets the time it has left; each re-add is audited. (A grant still provisioning is left to the
 * reconcile, which re-adds what an active grant misses.) Returns the grants restored.
 */
export async function restoreForLiveGrants(groupGuid: string, groupDn: string, memberGuids: readonly string[]): Promise<string[]> {
  if (memberGuids.length === 0) return [];
  return db.transaction(async (tx) => {
    const raced = await tx
      .select({
        id: grants.id,
        memberGuid: grants.memberGuid,
        memberDn: grants.memberDn,
        mechanism: grants.mechanism,
        secondsLeft: sql<number>`ceil(extract(epoch from ${grants.expiresAt} - now()))::int`,
      })
      .from(grants)
      .where(
        and(
          eq(grants.groupGuid, groupGuid),
          inArray(grants.state, [...IN_DIRECTORY_STATES]),
          sql`${grants.mechanism} <> 'temporary-group'`,
          sql`${grants.expiresAt} > now() + make_interval(secs => ${env.GRANT_LEASE_SECONDS})`,
          inArray(
            sql`lower(${grants.memberGuid})`,
            memberGuids.map((g) => g.toLowerCase()),
          ),
        ),
      )
      .for("update");
    for (const r of raced) await addMembers(groupGuid, [r.memberGuid], r.mechanism === "ttl" ? { ttlSeconds: Math.max(1, r.secondsLeft) } : {});
    if (raced.length === 0) return [];
    await tx
      .update(grants)
      .set({ preExisting: false, updatedAt: sql`now()` })
      .where(
        inArray(
          grants.id,
          raced.map((r) => r.id),
        ),
      );
    await recordAudit(
      tx,
      SYSTEM_ACTOR,
      raced.map((r) => ({ action: "grant.reapplied" as const, targetType: "grant" as const, targetId: r.id, data: { groupDn, memberDn: r.memberDn } })),
    );
    return raced.map((r) => r.id);
  });
}
