import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { addMembers } from "@/server/directory/service";

/**
 * After Interim took members out of a group (drift: auto-removal or "Remove now"), puts back those
 * a grant holds by now — one that started while we removed. Its first add found the member still
 * there and took the membership for someone else's (pre_existing): now it is the grant's own, so
 * the flag is cleared and the grant's end removes it. Returns the grants restored.
 */
export async function restoreForLiveGrants(groupGuid: string, memberGuids: readonly string[]): Promise<string[]> {
  if (memberGuids.length === 0) return [];
  const raced = await db
    .select({ id: grants.id, memberGuid: grants.memberGuid })
    .from(grants)
    .where(
      and(
        eq(grants.groupGuid, groupGuid),
        sql`${grants.state} in ('provisioning', 'replicating', 'active')`,
        sql`${grants.mechanism} <> 'temporary-group'`,
        inArray(sql`lower(${grants.memberGuid})`, memberGuids.map((g) => g.toLowerCase())),
      ),
    );
  if (raced.length === 0) return [];
  await addMembers(groupGuid, raced.map((r) => r.memberGuid));
  await db.update(grants).set({ preExisting: false, updatedAt: sql`now()` }).where(inArray(grants.id, raced.map((r) => r.id)));
  return raced.map((r) => r.id);
}
