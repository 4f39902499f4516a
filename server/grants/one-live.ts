import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Executor, Transaction } from "@/db";
import { grants, privileges } from "@/db/schema";
import { DomainError, isDomainError } from "@/server/errors";
import { LIVE_GRANT_STATES } from "./states";

/*
 * One live grant per account and AD group (issue 13). A second one would be undone by the first's
 * expiry, or keep the account in past its own end. The database enforces it (the partial unique
 * index below, db/schema/grants.ts); this module turns a collision into words: at submission
 * before anything is written, and when two approvals race and the index refuses the second.
 * "Group" is the AD group the privilege publishes (grants.group_guid), whatever the mechanism:
 * a temporary group is nested into that same group, so it counts as holding it.
 */

export const ONE_LIVE_INDEX = "grants_one_live_per_account_group";
export const ONE_LIVE_RULE = "one-live-grant";

interface LiveGrant {
  state: string;
  expiresAt: Date | null;
  startsAt: Date | null;
  privilege: string;
  allowExtension: boolean;
}

/** The live grant the account holds on one of these AD groups, if any. */
export async function liveGrantOn(tx: Executor, memberGuid: string, groupGuids: string[]): Promise<LiveGrant | undefined> {
  const [live] = await tx
    .select({
      state: grants.state,
      expiresAt: grants.expiresAt,
      startsAt: grants.startsAt,
      privilege: privileges.name,
      allowExtension: privileges.allowExtension,
    })
    .from(grants)
    .innerJoin(privileges, eq(privileges.id, grants.privilegeId))
    .where(
      and(
        // The index's expressions, so it serves this query.
        sql`lower(${grants.memberGuid}) = ${memberGuid.toLowerCase()}`,
        inArray(
          sql`lower(${grants.groupGuid})`,
          groupGuids.map((g) => g.toLowerCase()),
        ),
        inArray(grants.state, [...LIVE_GRANT_STATES]),
      ),
    )
    .limit(1);
  return live;
}

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The first RDN's value of a DN ("CN=adm-bob,OU=…" → "adm-bob"), for messages. */
export function accountName(dn: string): string {
  const m = /^[^=]+=((?:\\.|[^,\\])*)/.exec(dn);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : dn;
}

/** "adm-bob already holds …": what to tell whoever asked for a second grant. `holder` null: the requester's own account. */
export function liveGrantMessage(holder: string | null, live: LiveGrant): string {
  const who = holder ?? "You";
  const has = holder ? "holds" : "have";
  if (live.state === "pending") {
    const when = live.startsAt && live.startsAt > new Date() ? `scheduled to start at ${utc(live.startsAt)}` : "about to start";
    return `${who} already ${holder ? "has" : "have"} "${live.privilege}" ${when}. Ask again after it ends.`;
  }
  const until = live.expiresAt ? ` until ${utc(live.expiresAt)}` : "";
  const next = live.state === "active" && live.allowExtension ? "extend it instead" : "ask again after it ends";
  return `${who} already ${has} "${live.privilege}"${until} — ${next}.`;
}

export const liveGrantConflict = (message: string) => new DomainError("conflict", message, { rule: ONE_LIVE_RULE });

export const isLiveGrantConflict = (err: unknown): err is DomainError => isDomainError(err) && err.kind === "conflict" && err.rule === ONE_LIVE_RULE;

function isOneLiveViolation(err: unknown): boolean {
  for (let e = err as { code?: string; constraint_name?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "23505" && e.constraint_name === ONE_LIVE_INDEX) return true;
  }
  return false;
}

/**
 * Runs the inserts of an account's grants in a savepoint. When the index refuses one (another
 * transaction created a live grant on the same group and committed first), every grant of the
 * batch is rolled back, the caller's transaction stays usable, and a conflict saying what the
 * account holds is thrown for the caller to record.
 */
export async function insertingOneLive<T>(
  tx: Transaction,
  member: { guid: string; dn: string },
  groupGuids: string[],
  insert: (sp: Transaction) => Promise<T>,
): Promise<T> {
  try {
    return await tx.transaction(insert);
  } catch (err) {
    if (!isOneLiveViolation(err)) throw err;
    const live = await liveGrantOn(tx, member.guid, groupGuids);
    const name = accountName(member.dn);
    throw liveGrantConflict(live ? liveGrantMessage(name, live) : `${name} already holds one of these groups.`);
  }
}
