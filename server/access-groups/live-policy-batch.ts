import "server-only";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Transaction } from "@/db";
import {
  accessGroupActivations,
  accessGroupMembers,
  accessGroups,
  catalogCredentials,
  catalogDevices,
  deviceSessions,
  grants,
  privileges,
  requests,
  users,
} from "@/db/schema";
import { tokenGroupSids } from "@/server/directory/principals";
import { loadSets } from "@/server/privilege-sets/store";
import { memberVerdict, type MemberRow, type PolicyFacts } from "./live-policy";

/*
 * The live policy's facts for a batch of activations (server/grants/recheck-batch.ts), loaded once
 * instead of once per grant: a query per kind of row for the whole batch, the same rows locked FOR
 * SHARE as the single path locks (the groups, the persons' activations and member rows, every AD
 * group row, the privileges), and the DC asked once per person, several at a time, for the
 * tokenGroups of those who are not listed themselves in a group that lists AD groups. recheckPolicy
 * judges each grant on them exactly as it judges a lone one; a person whose tokenGroups could not be
 * read fails only their own grants' recheck (with that error, retried as on the single path).
 */

/** tokenGroups reads in flight at once (one multiplexed LDAP connection; the DC answers them in turn). */
const DC_READS = 8;

type GrantFacts = NonNullable<Awaited<ReturnType<PolicyFacts["grant"]>>>;

export async function batchFacts(tx: Transaction, grantIds: readonly string[]): Promise<PolicyFacts> {
  const grantRows = grantIds.length
    ? await tx
        .select({ id: grants.id, request: requests, privilegeId: grants.privilegeId, durationSeconds: grants.durationSeconds })
        .from(grants)
        .innerJoin(requests, eq(requests.id, grants.requestId))
        .where(inArray(grants.id, [...grantIds]))
    : [];
  const byGrant = new Map<string, GrantFacts>(grantRows.map(({ id, ...row }) => [id, row]));
  const reqs = grantRows.map((r) => r.request);
  const uniq = <T>(xs: (T | null | undefined)[]) => [...new Set(xs.filter((x): x is T => x !== null && x !== undefined))];

  // In the single path's order: the groups, the requesters, their activations and member rows, then the privileges.
  const groupIds = uniq(reqs.map((r) => r.accessGroupId));
  const groupRows = groupIds.length ? await tx.select().from(accessGroups).where(inArray(accessGroups.id, groupIds)).for("share") : [];
  const requesterIds = uniq(reqs.map((r) => r.requesterId));
  const requesterRows = requesterIds.length
    ? await tx.select({ id: users.id, guid: users.objectGuid, username: users.username }).from(users).where(inArray(users.id, requesterIds))
    : [];
  const persons = uniq(requesterRows.map((u) => u.guid.toLowerCase()));
  const live = groupRows.map((g) => g.id);
  const activations =
    live.length && persons.length
      ? await tx
          .select({
            groupId: accessGroupActivations.groupId,
            guid: sql<string>`lower(${accessGroupActivations.userGuid})`,
            state: accessGroupActivations.state,
          })
          .from(accessGroupActivations)
          .where(and(inArray(accessGroupActivations.groupId, live), inArray(sql`lower(${accessGroupActivations.userGuid})`, persons)))
          .for("share")
      : [];
  const memberRows =
    live.length && persons.length
      ? await tx
          .select({
            groupId: accessGroupMembers.groupId,
            kind: accessGroupMembers.kind,
            objectGuid: accessGroupMembers.objectGuid,
            objectSid: accessGroupMembers.objectSid,
          })
          .from(accessGroupMembers)
          .where(
            and(
              inArray(accessGroupMembers.groupId, live),
              or(eq(accessGroupMembers.kind, "group"), inArray(sql`lower(${accessGroupMembers.objectGuid})`, persons)),
            ),
          )
          .for("share")
      : [];
  const groupsById = new Map(groupRows.map((g) => [g.id, g]));
  const requestersById = new Map(requesterRows.map((u) => [u.id, u]));
  const activationOf = new Map(activations.map((a) => [`${a.groupId}|${a.guid}`, a.state]));
  const membersOf = new Map<string, MemberRow[]>();
  for (const m of memberRows) membersOf.set(m.groupId, [...(membersOf.get(m.groupId) ?? []), m]);

  const privilegeIds = uniq(reqs.flatMap((r) => r.setPrivilegeIds ?? []).concat(grantRows.map((r) => r.privilegeId)));
  const privilegeRows = privilegeIds.length ? await tx.select().from(privileges).where(inArray(privileges.id, privilegeIds)).for("share") : [];
  const credentialIds = uniq(reqs.map((r) => r.credentialId));
  const credentialRows = credentialIds.length ? await tx.select().from(catalogCredentials).where(inArray(catalogCredentials.id, credentialIds)) : [];
  const setRows = await loadSets(tx, { ids: uniq(reqs.map((r) => r.privilegeSetId)) });
  const requestIds = uniq(reqs.map((r) => r.id));
  const sessionRows = requestIds.length
    ? await tx
        .select({ requestId: deviceSessions.requestId, device: catalogDevices })
        .from(deviceSessions)
        .innerJoin(catalogDevices, eq(catalogDevices.id, deviceSessions.deviceId))
        .where(inArray(deviceSessions.requestId, requestIds))
    : [];

  // The DC, once per person who needs it: not listed themselves in a group that lists AD groups.
  const needSids = new Set<string>();
  for (const r of reqs) {
    const person = requestersById.get(r.requesterId)?.guid.toLowerCase();
    const members = r.accessGroupId ? membersOf.get(r.accessGroupId) : undefined;
    if (!person || !members?.some((m) => m.kind === "group" && m.objectSid !== null)) continue;
    if (!members.some((m) => m.kind === "user" && m.objectGuid.toLowerCase() === person)) needSids.add(person);
  }
  const sidsOf = await readConcurrently([...needSids], DC_READS, tokenGroupSids);

  const requestsById = new Map(reqs.map((r) => [r.id, r]));
  const credentialsById = new Map(credentialRows.map((c) => [c.id, c]));
  const setsById = new Map(setRows.map((x) => [x.id, x]));
  const sessionOf = new Map(sessionRows.map((x) => [x.requestId, x.device]));
  const memos = new Map<string, unknown>();
  let devices: Promise<(typeof catalogDevices.$inferSelect)[]> | undefined;
  return {
    grant: async (grantId) => byGrant.get(grantId),
    request: async (requestId) => requestsById.get(requestId),
    group: async (groupId) => groupsById.get(groupId),
    async requester(userId) {
      const u = requestersById.get(userId);
      return u && { guid: u.guid, username: u.username };
    },
    activationState: async (groupId, personGuid) => activationOf.get(`${groupId}|${personGuid.toLowerCase()}`),
    belongs: (groupId, personGuid) =>
      memberVerdict(membersOf.get(groupId) ?? [], personGuid, async (guid) => {
        const read = sidsOf.get(guid.toLowerCase());
        if (!read) throw new Error(`tokenGroups of ${guid} were not read for this batch`);
        if ("err" in read) throw read.err;
        return read.sids;
      }),
    privileges: async (ids) => privilegeRows.filter((p) => ids.includes(p.id)),
    credential: async (credentialId) => credentialsById.get(credentialId) ?? null,
    set: async (setId) => setsById.get(setId) ?? null,
    sessionDevice: async (requestId) => sessionOf.get(requestId) ?? null,
    presentDevices: () => (devices ??= tx.select().from(catalogDevices).where(eq(catalogDevices.present, true))),
    memo<T>(key: string, compute: () => T): T {
      if (!memos.has(key)) memos.set(key, compute());
      return memos.get(key) as T;
    },
  };
}

type SidRead = { sids: string[] } | { err: unknown };

/** Each person's tokenGroups, `lanes` reads at a time; a failed read is kept as that person's error. */
async function readConcurrently(guids: readonly string[], lanes: number, read: (guid: string) => Promise<string[]>): Promise<Map<string, SidRead>> {
  const out = new Map<string, SidRead>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, guids.length) }, async () => {
      for (let i = next++; i < guids.length; i = next++) {
        const guid = guids[i]!;
        out.set(
          guid,
          await read(guid).then(
            (sids) => ({ sids }),
            (err: unknown) => ({ err }),
          ),
        );
      }
    }),
  );
  return out;
}
