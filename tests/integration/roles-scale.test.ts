import type { Client } from "ldapts";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { accessGroupMembers, auditEvents, catalogCredentials } from "@/db/schema";
import { loadPerson, requesterAccess } from "@/server/access-groups/enforcement";
import { removeMember } from "@/server/access-groups/members";
import { updateApprovers } from "@/server/access-groups/service";
import { cancelRequest } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { listAccess, listAccountsFor, setFavourite } from "@/server/requests/access";
import { listMyRequests } from "@/server/requests/mine";
import { previewRequest, submitRequest } from "@/server/requests/service";
import {
  actorFor,
  adAddMember,
  adminClient,
  adRemoveMember,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOuGroup,
  localUser,
  publishNamed,
  resetDatabase,
  TEST_OU,
} from "./fixtures";
import { guidToString } from "@/server/directory/binary";

/*
 * The requester listing at scale (issue 15): requests.access is computed once and cached per
 * person, session and address; the access version (triggers) drops it on any node when groups,
 * members or privileges change; submit never trusts it. Favourites and recent requests come first;
 * the listing and "My access" are paged.
 */

let ad: Client;
let carol: SessionUser;
let alice: SessionUser;
let bob: SessionUser;
let teamDn: string;
let teamGuid: string;
const guid: Record<string, string> = {};
type Privilege = Awaited<ReturnType<typeof publishNamed>>;
let alpha: Privilege;
let beta: Privilege;
let gamma: Privilege;

/** A group alice is in whose requests need one approval, from `approverGuid`. */
async function gatedGroup(approverGuid: string) {
  const g = await configuredAccessGroup(carol, {
    name: "it-rs Gated",
    settings: { autoGrantOnProvisioning: true, requiresApproval: true },
    members: [guid["it-rs-alice"]!],
  });
  await updateApprovers(carol, actorFor(carol), {
    id: g.id,
    version: g.version,
    approvers: [{ userGuid: approverGuid, level: 1 }],
    levels: [{ level: 1, requiredApprovals: 1 }],
  });
  return g;
}
const names = (page: Awaited<ReturnType<typeof listAccess>>) => page.items.map((i) => i.privilege.name);
const list = (u: SessionUser, session: string, input: Record<string, unknown> = {}) => listAccess(u, actorFor(u), session, input);

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of ["it-rs-alice", "it-rs-bob"]) {
    await ensureAdUser(ad, sam);
    guid[sam] = await directoryGuid(sam);
  }
  for (const cn of ["it-rs-priv-a", "it-rs-priv-b", "it-rs-priv-c"]) await ensureAdGroup(ad, cn);
});
beforeEach(async () => {
  await resetDatabase();
  teamDn = await ensureTestOuGroup(ad, "it-rs-team");
  await adAddMember(ad, teamDn, `CN=it-rs-bob,${TEST_OU}`);
  const { searchEntries } = await ad.search(teamDn, { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] });
  teamGuid = guidToString(searchEntries[0]!.objectGUID as Buffer);
  carol = await localUser("carol", true);
  alice = await localUser("it-rs-alice");
  bob = await localUser("it-rs-bob");
  alpha = await publishNamed(carol, "it-rs-priv-a", "RS Alpha", ["db"]);
  beta = await publishNamed(carol, "it-rs-priv-b", "RS Beta", ["web"]);
  gamma = await publishNamed(carol, "it-rs-priv-c", "RS Gamma", ["db", "prod"]);
});
afterAll(async () => {
  // bob back in the team for the next run (one test takes him out).
  await adAddMember(ad, teamDn, `CN=it-rs-bob,${TEST_OU}`).catch(() => undefined);
  await ad.unbind();
});

describe("the access cache", () => {
  it("is dropped at once when an admin removes the member, and submit refuses whatever the listing said", async () => {
    const g = await configuredAccessGroup(carol, { name: "it-rs Ops", settings: { autoGrantOnProvisioning: true }, members: [guid["it-rs-alice"]!] });
    expect(names(await list(alice, "s1"))).toEqual(["RS Alpha", "RS Beta", "RS Gamma"]);
    const [member] = await db
      .select()
      .from(accessGroupMembers)
      .where(and(eq(accessGroupMembers.groupId, g.id), eq(accessGroupMembers.objectGuid, guid["it-rs-alice"]!)));
    await removeMember(carol, actorFor(carol), g.id, member!.id);
    // Same person, session and address: the entry would still be fresh by its TTL; the version dropped it.
    const after = await list(alice, "s1");
    expect(after.items).toEqual([]);
    expect(after.memberships).toEqual([]);
    await expect(submitRequest(alice, actorFor(alice), { privilegeId: alpha.id, durationMinutes: 5 })).rejects.toMatchObject({ rule: "membership" });
  });

  it("keeps a listing within its TTL for what no trigger sees (AD membership), while submit re-checks; a new sign-in recomputes", async () => {
    await configuredAccessGroup(carol, { name: "it-rs Team", settings: { autoGrantOnProvisioning: true }, members: [teamGuid] });
    // The first read records bob's first sight (an activation row: a new access version), the second is cached.
    expect(names(await list(bob, "s1"))).toEqual(["RS Alpha", "RS Beta", "RS Gamma"]);
    expect(names(await list(bob, "s1"))).toEqual(["RS Alpha", "RS Beta", "RS Gamma"]);
    await adRemoveMember(ad, teamDn, `CN=it-rs-bob,${TEST_OU}`);
    try {
      // Cached: AD changes are bounded by INTERIM_ACCESS_CACHE_SECONDS…
      expect(names(await list(bob, "s1"))).toEqual(["RS Alpha", "RS Beta", "RS Gamma"]);
      // …but the server never grants from the listing.
      await expect(submitRequest(bob, actorFor(bob), { privilegeId: alpha.id, durationMinutes: 5 })).rejects.toMatchObject({ rule: "membership" });
      // Signing in again is a new session: computed afresh.
      expect((await list(bob, "s2")).items).toEqual([]);
    } finally {
      await adAddMember(ad, teamDn, `CN=it-rs-bob,${TEST_OU}`);
    }
  });

  it("is dropped when a privilege is unpublished or added", async () => {
    await configuredAccessGroup(carol, {
      name: "it-rs Db",
      settings: { autoGrantOnProvisioning: true },
      criteria: { privilegeTags: ["db"] },
      members: [guid["it-rs-alice"]!],
    });
    expect(names(await list(alice, "s1"))).toEqual(["RS Alpha", "RS Gamma"]);
    // Only what the person may see can be starred: no oracle for other privileges' ids.
    await expect(setFavourite(alice, actorFor(alice), "s1", { privilegeId: beta.id, favourite: true })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listAccountsFor(alice, actorFor(alice), "s1", { privilegeId: beta.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await db.execute(`update privileges set tags = array['db'] where id = '${beta.id}'`);
    expect(names(await list(alice, "s1"))).toEqual(["RS Alpha", "RS Beta", "RS Gamma"]);
  });
});

describe("the listing", () => {
  it("pages, searches and filters by tag; favourites come first, then recent requests, stored per person and audited", async () => {
    await configuredAccessGroup(carol, { name: "it-rs Ops", settings: { autoGrantOnProvisioning: true }, members: [guid["it-rs-alice"]!, guid["it-rs-bob"]!] });
    const first = await list(alice, "s1", { limit: 2 });
    expect(names(first)).toEqual(["RS Alpha", "RS Beta"]);
    expect(first).toMatchObject({ total: 3, available: 3, nextCursor: 2, tags: ["db", "prod", "web"] });
    // No catalog account is selected by this group: none is offered, and the answer carries no account list.
    expect(first.items[0]).toMatchObject({ accountCount: 0, accountSample: [] });
    expect(await listAccountsFor(alice, actorFor(alice), "s1", { privilegeId: alpha.id })).toEqual([]);
    const second = await list(alice, "s1", { limit: 2, cursor: first.nextCursor });
    expect(names(second)).toEqual(["RS Gamma"]);
    expect(second.nextCursor).toBeNull();
    expect(names(await list(alice, "s1", { search: "gam" }))).toEqual(["RS Gamma"]);
    expect(names(await list(alice, "s1", { tag: "db" }))).toEqual(["RS Alpha", "RS Gamma"]);

    await setFavourite(alice, actorFor(alice), "s1", { privilegeId: gamma.id, favourite: true });
    const starred = await list(alice, "s1");
    expect(names(starred)).toEqual(["RS Gamma", "RS Alpha", "RS Beta"]);
    expect(starred.items[0]).toMatchObject({ favourite: true });
    // Per person: bob's order is untouched.
    expect(names(await list(bob, "s1"))).toEqual(["RS Alpha", "RS Beta", "RS Gamma"]);
    // Recently requested next, after the favourites.
    await submitRequest(alice, actorFor(alice), { privilegeId: beta.id, durationMinutes: 5 });
    expect(names(await list(alice, "s1"))).toEqual(["RS Gamma", "RS Beta", "RS Alpha"]);
    await setFavourite(alice, actorFor(alice), "s1", { privilegeId: gamma.id, favourite: false });
    expect(names(await list(alice, "s1"))).toEqual(["RS Beta", "RS Alpha", "RS Gamma"]);
    const audited = await db.select().from(auditEvents).where(eq(auditEvents.action, "privilege.favourite_changed"));
    expect(audited.map((e) => e.data)).toEqual([
      { privilege: "RS Gamma", favourite: true },
      { privilege: "RS Gamma", favourite: false },
    ]);
  });

  it("says when the requester approves for the group that would bind the request", async () => {
    await gatedGroup(guid["it-rs-alice"]!);
    expect((await list(alice, "s1")).items.map((i) => i.selfApprover)).toEqual([true, true, true]);
    expect(await previewRequest(alice, actorFor(alice), { privilegeId: alpha.id, credentialId: null, durationMinutes: 5 })).toMatchObject({
      ok: true,
      selfApprover: true,
    });
  });
});

describe("the accounts offered with each privilege", () => {
  it("are exactly requesterAccess's: per group criteria, others' accounts only where a group allows them, a union across groups, in catalog order", async () => {
    const me = { guid: guid["it-rs-alice"]!, dn: `CN=it-rs-alice,${TEST_OU}` };
    const other = { guid: guid["it-rs-bob"]!, dn: `CN=it-rs-bob,${TEST_OU}` };
    const account = (username: string, type: string, tags: string[], owner: { guid: string; dn: string } | null) => ({
      username,
      type,
      tags,
      source: "directory" as const,
      objectGuid: crypto.randomUUID(),
      dn: `CN=${username},${TEST_OU}`,
      ...(owner ? { ownerGuid: owner.guid, ownerDn: owner.dn, ownerName: owner.dn.slice(3, owner.dn.indexOf(",")) } : {}),
    });
    await db.insert(catalogCredentials).values([
      account("adm-db-mine", "domain", ["db"], me),
      account("adm-db-bobs", "domain", ["db"], other),
      account("adm-db-nobody", "domain", ["db"], null),
      account("adm-web-mine", "local", ["web"], me),
      account("adm-web-bobs", "local", ["web"], other),
      account("adm-any", "domain", [], null),
      // Not a directory account (no GUID, no DN): never offered.
      { username: "adm-db-manual", type: "domain", tags: ["db"], source: "manual" as const },
    ]);
    const members = [guid["it-rs-alice"]!];
    const on = { autoGrantOnProvisioning: true };
    // Alpha (db): DbOwn (own db accounts) and AnyDomain (every domain account, others' too).
    await configuredAccessGroup(carol, { name: "it-rs DbOwn", settings: on, criteria: { privilegeTags: ["db"], credentialTags: ["db"] }, members });
    await configuredAccessGroup(carol, {
      name: "it-rs AnyDomain",
      settings: { ...on, allowOthersAccounts: true },
      criteria: { privilegeNames: ["RS Alpha"], credentialTypes: ["domain"] },
      members,
    });
    // Beta (web): WebOwn (own local accounts, named adm-web-*).
    await configuredAccessGroup(carol, {
      name: "it-rs WebOwn",
      settings: on,
      criteria: { privilegeTags: ["web"], credentialUsernames: ["adm-web-*"] },
      members,
    });
    const person = (await loadPerson(alice.id))!;
    const canonical = await requesterAccess(person, "127.0.0.1");
    const page = await list(alice, "s1");
    const expected: Record<string, string[]> = {
      "RS Alpha": ["adm-any", "adm-db-bobs", "adm-db-mine", "adm-db-nobody"],
      "RS Beta": ["adm-web-mine"],
      "RS Gamma": ["adm-db-mine", "adm-db-nobody"],
    };
    for (const p of canonical.privileges) {
      const offered = (await listAccountsFor(alice, actorFor(alice), "s1", { privilegeId: p.privilege.id })).map((a) => a.username);
      expect(offered, p.privilege.name).toEqual(p.accounts.map((a) => a.username));
      expect(offered, p.privilege.name).toEqual(expected[p.privilege.name]);
      const item = page.items.find((i) => i.privilege.id === p.privilege.id)!;
      expect(item).toMatchObject({ accountCount: offered.length, accountSample: offered.slice(0, 3) });
    }
    expect(canonical.privileges.map((p) => p.privilege.name)).toEqual(Object.keys(expected));
  });
});

describe("My access", () => {
  it("lists live requests first and pages the earlier ones by keyset, without gaps or repeats", async () => {
    await gatedGroup(guid["it-rs-bob"]!);
    const ids: string[] = [];
    for (const p of [alpha, beta, gamma]) ids.push((await submitRequest(alice, actorFor(alice), { privilegeId: p.id, durationMinutes: 5 })).requestId);
    await cancelRequest(alice, actorFor(alice), ids[0]!);
    await cancelRequest(alice, actorFor(alice), ids[1]!);

    const first = await listMyRequests(alice, { limit: 1 });
    expect(first.live.map((r) => r.requestId)).toEqual([ids[2]]);
    expect(first.earlier.map((r) => r.requestId)).toEqual([ids[1]]);
    expect(first.nextCursor).not.toBeNull();
    const next = await listMyRequests(alice, { limit: 1, cursor: first.nextCursor });
    expect(next.live).toEqual([]);
    expect(next.earlier.map((r) => r.requestId)).toEqual([ids[0]]);
    expect(next.nextCursor).toBeNull();
  });
});
