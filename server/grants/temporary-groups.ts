import "server-only";
import { inArray } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { deleteTemporaryGroup, grantIdOfTemporaryGroup, listTemporaryGroups, temporaryGroupsAvailable } from "@/server/directory/temporary-groups";
import { errorText } from "./error-text";
import { isLiveState } from "./states";

/** A group this young without any grant row is left alone (see below). */
export const ORPHAN_MIN_AGE_SECONDS = 600;

export interface TemporaryGroupCleanup {
  checked: number;
  deleted: number;
  failed: number;
  errors: string[];
}

/**
 * Deletes temporary groups no live grant owns: left by a crash between a group's creation and its
 * grant's record, by a grant that failed for good after creating it, or by hand. Each deletion is
 * audited. Runs as a cron in the worker; one Interim installation per TEMP_GROUP_OU (another's
 * groups would look unowned here).
 */
export async function cleanUpTemporaryGroups(opts: { minAgeSeconds?: number; now?: Date } = {}): Promise<TemporaryGroupCleanup> {
  const result: TemporaryGroupCleanup = { checked: 0, deleted: 0, failed: 0, errors: [] };
  if (!temporaryGroupsAvailable()) return result;
  const minAgeMs = (opts.minAgeSeconds ?? ORPHAN_MIN_AGE_SECONDS) * 1000;
  const now = (opts.now ?? new Date()).getTime();
  const found = await listTemporaryGroups();
  result.checked = found.length;
  const grantIds = found.map((g) => grantIdOfTemporaryGroup(g.name)!);
  const owners = grantIds.length
    ? await db.select({ id: grants.id, state: grants.state, tempGroupGuid: grants.tempGroupGuid }).from(grants).where(inArray(grants.id, grantIds))
    : [];
  const ownerOf = new Map(owners.map((o) => [o.id, o]));
  for (const group of found) {
    const grantId = grantIdOfTemporaryGroup(group.name)!;
    const owner = ownerOf.get(grantId);
    // The live grant recorded this very group (or has not recorded one yet: it is provisioning it).
    // A live grant owns its temporary group (the sweep deletes it when the grant ends).
    if (owner && isLiveState(owner.state) && (owner.tempGroupGuid === null || owner.tempGroupGuid.toLowerCase() === group.guid)) continue;
    // A group whose grant has ended goes at once. One with no grant row at all only once it is old:
    // it may be another installation's (one per TEMP_GROUP_OU, but a restored database looks the
    // same). Unknown age counts as old: AD always sets whenCreated.
    if (!owner && group.createdAt && now - group.createdAt.getTime() < minAgeMs) continue;
    try {
      await deleteTemporaryGroup(group.guid);
      result.deleted++;
      await db.transaction((tx) =>
        recordAudit(tx, SYSTEM_ACTOR, [
          {
            action: "directory.temporary_group_deleted",
            targetType: "group",
            targetId: group.guid,
            data: { groupDn: group.dn, grantId, grantState: owner?.state ?? null, createdAt: group.createdAt?.toISOString() ?? null },
          },
        ]),
      );
    } catch (err) {
      result.failed++;
      result.errors.push(`${group.dn}: ${errorText(err)}`);
    }
  }
  return result;
}
