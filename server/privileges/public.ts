import "server-only";
import type { privileges } from "@/db/schema";

/**
 * A privilege as someone who is not an admin sees it: its group's DN, objectGUID and objectSid
 * stay admin-only (they tell an attacker where to aim in the directory). Everything else — name,
 * description, durations, mechanism, tags — is what the requester page shows.
 */
export function publicPrivilege(p: typeof privileges.$inferSelect) {
  const { groupDn: _dn, groupGuid: _guid, groupSid: _sid, ...rest } = p;
  return rest;
}
