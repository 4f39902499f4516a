import "server-only";
import { AndFilter, EqualityFilter, OrFilter } from "ldapts";
import { env } from "@/server/env";
import { guidToBytes, guidToString } from "./binary";
import { dcConnection } from "./connection";
import { buf, guidRef } from "./service";

/** A domain controller a replication check reads: its host name (for people) and LDAPS URL. */
export interface DcTarget {
  host: string;
  url: string;
}

/** Members per search: keeps each filter a few kilobytes however many grants wait. */
const GUIDS_PER_SEARCH = 200;

/** The LDAPS URL of a DC found in the directory (its dNSHostName, the port of LDAP_URL's first DC). */
export function dcUrlFor(hostName: string): string {
  const port = new URL(env.LDAP_URL[0]!).port || "636";
  return `ldaps://${hostName}:${port}`;
}

/** A configured URL as a target: the host name is what people read. */
export function dcTargetFromUrl(url: string): DcTarget {
  return { host: new URL(url).hostname.toLowerCase(), url };
}

/**
 * Which of `memberGuids` are direct members of the group *on this one DC*: a subtree search for
 * the members by objectGUID whose memberOf (the DC's own back link of the group's `member`)
 * names the group. One search per group per DC (per 200 members), however many grants are
 * checked; all values are encoded by ldapts' filter classes.
 */
export async function membersOnDc(dc: DcTarget, groupGuid: string, memberGuids: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(memberGuids.map((g) => g.toLowerCase()))];
  const present = new Set<string>();
  const group = guidRef(groupGuid);
  await dcConnection(dc.url).run(`Check replication on ${dc.host}`, async (c) => {
    for (let i = 0; i < unique.length; i += GUIDS_PER_SEARCH) {
      const chunk = unique.slice(i, i + GUIDS_PER_SEARCH);
      const filter = new AndFilter({
        filters: [
          new EqualityFilter({ attribute: "memberOf", value: group }),
          new OrFilter({ filters: chunk.map((g) => new EqualityFilter({ attribute: "objectGUID", value: guidToBytes(g) })) }),
        ],
      });
      const { searchEntries } = await c.search(env.LDAP_BASE_DN, {
        scope: "sub",
        filter,
        attributes: ["objectGUID"],
        explicitBufferAttributes: ["objectGUID"],
      });
      for (const e of searchEntries) present.add(guidToString(buf(e, "objectGUID")));
    }
  });
  return present;
}
