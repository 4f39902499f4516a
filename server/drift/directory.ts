import "server-only";
import { ResultCodeError } from "ldapts";
import type { DriftMemberClass } from "@/db/schema";
import { serviceConnection } from "@/server/directory/connection";
import { guidRef, str, strs } from "@/server/directory/service";

export interface MemberDetails {
  memberClass: DriftMemberClass;
  /** sAMAccountName, lowercased; null for objects without one (contacts, foreign principals). */
  sam: string | null;
  upn: string | null;
  cn: string | null;
}

/** The most specific class that matters for drift: a computer is also a user, a group is neither. */
export function classOf(objectClasses: readonly string[]): DriftMemberClass {
  const classes = new Set(objectClasses.map((c) => c.toLowerCase()));
  if (classes.has("group")) return "group";
  if (classes.has("computer")) return "computer";
  if (classes.has("user")) return "user";
  return "other";
}

const READS_IN_FLIGHT = 32;

/**
 * What each member is, read by GUID. A member the service account cannot read comes back as
 * `unknown`: the reconcile then cannot tell it is not a group, and leaves it in place.
 */
export async function readMemberDetails(memberGuids: readonly string[]): Promise<Map<string, MemberDetails>> {
  const out = new Map<string, MemberDetails>();
  if (memberGuids.length === 0) return out;
  await serviceConnection().run("Read group members", async (c) => {
    const readOne = async (guid: string) => {
      try {
        const { searchEntries } = await c.search(guidRef(guid), {
          scope: "base",
          filter: "(objectClass=*)",
          attributes: ["objectClass", "sAMAccountName", "userPrincipalName", "cn"],
        });
        const e = searchEntries[0];
        out.set(
          guid,
          e
            ? {
                memberClass: classOf(strs(e, "objectClass")),
                sam: str(e, "sAMAccountName")?.toLowerCase() ?? null,
                upn: str(e, "userPrincipalName"),
                cn: str(e, "cn"),
              }
            : { memberClass: "unknown", sam: null, upn: null, cn: null },
        );
      } catch (err) {
        // 32: no such object (deleted between the member list and now); 50: not allowed to read it.
        if (err instanceof ResultCodeError && (err.code === 32 || err.code === 50)) {
          out.set(guid, { memberClass: "unknown", sam: null, upn: null, cn: null });
          return;
        }
        throw err;
      }
    };
    // Several reads in flight on the one connection (LDAP multiplexes them): a first check of a
    // group with thousands of unexplained members takes seconds, not minutes.
    for (let i = 0; i < memberGuids.length; i += READS_IN_FLIGHT) await Promise.all(memberGuids.slice(i, i + READS_IN_FLIGHT).map(readOne));
  });
  return out;
}
