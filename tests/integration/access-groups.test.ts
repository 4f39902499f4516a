import type { Client } from "ldapts";
import { randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, catalogCredentials, catalogDevices, users } from "@/db/schema";
import { addMember, listMembers, removeMember, setActivation } from "@/server/access-groups/members";
import { previewCriteria, previewLimits } from "@/server/access-groups/preview";
import { approversInput, createGroupInput, criteriaInput, limitsInput, locationsInput, settingsInput } from "@/server/access-groups/schemas";
import {
  createAccessGroup,
  deleteAccessGroup,
  getAccessGroup,
  getApprovers,
  listAccessGroups,
  updateApprovers,
  updateCriteria,
  updateLimits,
  updateLocations,
  updateSettings,
  type AccessGroupRow,
} from "@/server/access-groups/service";
import { criteriaSchema, groupSettingsSchema, limitsSchema } from "@/server/access-groups/policy/schemas";
import type { SessionUser } from "@/server/auth/permissions";
import { guidToString } from "@/server/directory/binary";
import {
  actorFor,
  adAddMember,
  adminClient,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOuGroup,
  localUser,
  publishNamed,
  resetDatabase,
  TEST_OU,
  trpcHttp,
} from "./fixtures";

/*
 * The admin side of access groups (issue 3): the group list and each tab's service, checked
 * against the real directory and database. tRPC is called over the fetch adapter where the
 * procedure itself matters (admin check, zod field errors).
 */

let ad: Client;
let carol: SessionUser;
let alice: SessionUser;
const guid: Record<string, string> = {};
let teamGuid: string;
let teamSubGuid: string;

const SAMS = ["it-ag-alice", "it-ag-bob", "it-ag-appr1", "it-ag-appr2"] as const;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of SAMS) await ensureAdUser(ad, sam);
  for (const sam of SAMS) guid[sam] = await directoryGuid(sam);
  guid.carol = await directoryGuid("carol");
  // it-ag-team ⊃ it-ag-team-sub ⊃ it-ag-bob: bob belongs to it-ag-team through nesting only.
  const team = await ensureTestOuGroup(ad, "it-ag-team");
  const teamSub = await ensureTestOuGroup(ad, "it-ag-team-sub");
  await adAddMember(ad, team, teamSub);
  await adAddMember(ad, teamSub, `CN=it-ag-bob,${TEST_OU}`);
  teamGuid = await objectGuidOf(team);
  teamSubGuid = await objectGuidOf(teamSub);
  await ensureAdGroup(ad, "it-ag-priv-db");
  await ensureAdGroup(ad, "it-ag-priv-web");
});
beforeEach(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  alice = await localUser("it-ag-alice");
});
afterAll(async () => {
  await ad.unbind();
});

const as = (u: SessionUser) => actorFor(u);

async function objectGuidOf(dn: string): Promise<string> {
  const { searchEntries } = await ad.search(dn, { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] });
  return guidToString(searchEntries[0]!.objectGUID as Buffer);
}

async function audits(action: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(asc(auditEvents.seq));
}

async function newGroup(name = "it-ag Tabs") {
  return createAccessGroup(carol, as(carol), { name, description: "", timeZone: "UTC" });
}

function settingsOf(g: AccessGroupRow) {
  return {
    id: g.id,
    version: g.version,
    name: g.name,
    description: g.description,
    enabled: g.enabled,
    timeZone: g.timeZone,
    settings: groupSettingsSchema.parse(g.settings),
  };
}

describe("access groups: create, list, delete", () => {
  it("creates, lists and deletes a group, auditing each with the group's data", async () => {
    const g = await createAccessGroup(carol, as(carol), createGroupInput.parse({ name: "it-ag Ops", description: "Operations", timeZone: "europe/paris" }));
    expect(g).toMatchObject({ name: "it-ag Ops", description: "Operations", timeZone: "Europe/Paris", enabled: true, version: 1, createdBy: carol.id });
    await addMember(carol, as(carol), g.id, guid["it-ag-alice"]!);
    await addMember(carol, as(carol), g.id, teamGuid);

    expect(await listAccessGroups(carol)).toEqual([expect.objectContaining({ id: g.id, name: "it-ag Ops", users: 1, directoryGroups: 1, approvers: 0 })]);
    const [created] = await audits("access_group.created");
    expect(created).toMatchObject({
      targetType: "access_group",
      targetId: g.id,
      actorName: "carol",
      data: {
        after: {
          name: "it-ag Ops",
          description: "Operations",
          timeZone: "Europe/Paris",
          enabled: true,
          criteria: expect.any(Object),
          limits: expect.any(Object),
          locations: expect.any(Object),
        },
      },
    });

    await deleteAccessGroup(carol, as(carol), g.id);
    expect(await listAccessGroups(carol)).toEqual([]);
    const [deleted] = await audits("access_group.deleted");
    expect(deleted).toMatchObject({
      targetId: g.id,
      actorName: "carol",
      data: { before: { name: "it-ag Ops", timeZone: "Europe/Paris", members: expect.arrayContaining(["user:it-ag-alice", "group:it-ag-team"]) } },
    });
    await expect(deleteAccessGroup(carol, as(carol), g.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a second group with the same name, on create and on rename", async () => {
    await newGroup("it-ag Same");
    await expect(newGroup("it-ag Same")).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/exists already/) });
    const other = await newGroup("it-ag Other");
    await expect(updateSettings(carol, as(carol), { ...settingsOf(other), name: "it-ag Same" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await listAccessGroups(carol)).map((g) => g.name)).toEqual(["it-ag Other", "it-ag Same"]);
    expect(await audits("access_group.created")).toHaveLength(2);
  });

  it("non-admins are refused by the procedure (admin status re-read from AD) and by the service", async () => {
    // alice's token claims admin and her row agrees, but the check is overdue: AD has the last word.
    await db.update(users).set({ isAdmin: true, adminCheckedAt: null }).where(eq(users.id, alice.id));
    const viaHttp = await trpcHttp({ ...alice, isAdmin: true }, "accessGroups.groups.create", { name: "it-ag Sneaky" });
    expect(viaHttp).toMatchObject({ ok: false, code: "FORBIDDEN", message: "Administrators only." });
    expect((await db.select().from(users).where(eq(users.id, alice.id)))[0]?.isAdmin).toBe(false);
    expect(await trpcHttp(alice, "accessGroups.groups.list", undefined, { query: true })).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
      message: "Administrators only.",
    });

    // carol's row says "not admin" and is overdue too; AD says she is (nested in Interim Admins).
    await db.update(users).set({ isAdmin: false, adminCheckedAt: null }).where(eq(users.id, carol.id));
    const byCarol = await trpcHttp({ ...carol, isAdmin: false }, "accessGroups.groups.create", { name: "it-ag Legit" });
    expect(byCarol).toMatchObject({ ok: true, data: { name: "it-ag Legit", timeZone: "UTC" } });
    const legit = (byCarol as { data: AccessGroupRow }).data;

    const forbidden = { code: "FORBIDDEN", message: expect.stringMatching(/may not (manage|read) this accessgroup/) };
    await expect(createAccessGroup(alice, as(alice), { name: "it-ag Sneaky", description: "", timeZone: "UTC" })).rejects.toMatchObject(forbidden);
    await expect(listAccessGroups(alice)).rejects.toMatchObject(forbidden);
    await expect(updateSettings(alice, as(alice), { ...settingsOf(legit), enabled: false })).rejects.toMatchObject(forbidden);
    await expect(addMember(alice, as(alice), legit.id, guid["it-ag-alice"]!)).rejects.toMatchObject(forbidden);
    await expect(setActivation(alice, as(alice), legit.id, guid["it-ag-alice"]!, "active")).rejects.toMatchObject(forbidden);
    await expect(deleteAccessGroup(alice, as(alice), legit.id)).rejects.toMatchObject(forbidden);
    await expect(previewCriteria(alice, criteriaSchema.parse({}), 5)).rejects.toMatchObject(forbidden);
    expect((await listAccessGroups(carol)).map((g) => g.name)).toEqual(["it-ag Legit"]);
  });
});

describe("access groups: the tabs", () => {
  it("each tab's save is audited with its tab name and what changed", async () => {
    let g = await newGroup();
    g = await updateSettings(
      carol,
      as(carol),
      settingsInput.parse({
        ...settingsOf(g),
        name: "it-ag Renamed",
        description: "Ops",
        enabled: false,
        timeZone: "Europe/Berlin",
        settings: { requiresJustification: true },
      }),
    );
    g = await updateCriteria(carol, as(carol), criteriaInput.parse({ id: g.id, version: g.version, criteria: { privilegeNames: ["DB *"] } }));
    g = await updateLimits(
      carol,
      as(carol),
      limitsInput.parse({ id: g.id, version: g.version, limits: { daysOfWeek: [5, 1, 1], windows: [{ start: "08:00", end: "18:00" }] } }),
    );
    g = await updateLocations(
      carol,
      as(carol),
      locationsInput.parse({ id: g.id, version: g.version, locations: { restrict: true, allowed: [{ country: "fr", region: "fr-idf" }] } }),
    );
    expect(g.version).toBe(5);

    const updates = (await audits("access_group.updated")).map((e) => e.data);
    expect(updates).toEqual([
      {
        tab: "settings",
        before: { name: "it-ag Tabs", description: "", enabled: true, timeZone: "UTC", settings: expect.objectContaining({ requiresJustification: false }) },
        after: {
          name: "it-ag Renamed",
          description: "Ops",
          enabled: false,
          timeZone: "Europe/Berlin",
          settings: expect.objectContaining({ requiresJustification: true }),
        },
      },
      {
        tab: "criteria",
        before: { criteria: expect.objectContaining({ privilegeNames: [] }) },
        after: { criteria: expect.objectContaining({ privilegeNames: ["DB *"] }) },
      },
      {
        tab: "limits",
        before: { timeZone: "Europe/Berlin", limits: expect.objectContaining({ daysOfWeek: [], windows: [] }) },
        after: { timeZone: "Europe/Berlin", limits: expect.objectContaining({ daysOfWeek: [1, 5], windows: [{ start: "08:00", end: "18:00" }] }) },
      },
      {
        tab: "locations",
        before: { locations: { restrict: false, allowed: [] } },
        after: { locations: { restrict: true, allowed: [{ country: "FR", region: "FR-IDF" }] } },
      },
    ]);
    const stored = await getAccessGroup(carol, g.id);
    expect(stored).toMatchObject({
      name: "it-ag Renamed",
      enabled: false,
      timeZone: "Europe/Berlin",
      version: 5,
      locations: { restrict: true, allowed: [{ country: "FR", region: "FR-IDF" }] },
    });
  });

  it("a save from a form opened before another save is refused with CONFLICT and changes nothing", async () => {
    const opened = await newGroup();
    const saved = await updateCriteria(
      carol,
      as(carol),
      criteriaInput.parse({ id: opened.id, version: opened.version, criteria: { privilegeTags: ["prod"] } }),
    );
    const stale = { id: opened.id, version: opened.version };
    const conflict = { code: "CONFLICT", message: expect.stringMatching(/Someone else changed this access group/) };
    await expect(updateSettings(carol, as(carol), { ...settingsOf(opened), enabled: false })).rejects.toMatchObject(conflict);
    await expect(updateCriteria(carol, as(carol), criteriaInput.parse({ ...stale, criteria: {} }))).rejects.toMatchObject(conflict);
    await expect(updateLimits(carol, as(carol), limitsInput.parse({ ...stale, limits: { validTo: "2020-01-01" } }))).rejects.toMatchObject(conflict);
    await expect(
      updateLocations(carol, as(carol), locationsInput.parse({ ...stale, locations: { restrict: true, allowed: [{ country: "DE" }] } })),
    ).rejects.toMatchObject(conflict);
    await expect(
      updateApprovers(carol, as(carol), approversInput.parse({ ...stale, approvers: [{ userGuid: guid.carol, level: 1 }], levels: [] })),
    ).rejects.toMatchObject(conflict);
    const now = await getAccessGroup(carol, opened.id);
    expect(now).toMatchObject({
      version: saved.version,
      enabled: true,
      criteria: expect.objectContaining({ privilegeTags: ["prod"] }),
      limits: expect.objectContaining({ validTo: null }),
    });
    expect((await getApprovers(carol, opened.id)).approvers).toEqual([]);
    expect(await audits("access_group.updated")).toHaveLength(1);
  });

  type Case = [string, string, (g: AccessGroupRow) => unknown, string, RegExp];
  const cases: Case[] = [
    [
      "an unknown time zone (settings)",
      "accessGroups.settings.update",
      (g) => ({ ...settingsOf(g), timeZone: "Mars/Olympus_Mons" }),
      "timeZone",
      /Pick a time zone/,
    ],
    [
      "an unknown time zone (create)",
      "accessGroups.groups.create",
      () => ({ name: "it-ag Elsewhere", timeZone: "Nowhere/Land" }),
      "timeZone",
      /Pick a time zone/,
    ],
    [
      "approval in levels without approval",
      "accessGroups.settings.update",
      (g) => ({ ...settingsOf(g), settings: { ...settingsOf(g).settings, approvalInLevels: true, requiresApproval: false } }),
      "settings",
      /needs approval to be required/,
    ],
    [
      "an end date before the start date",
      "accessGroups.limits.update",
      (g) => ({ id: g.id, version: g.version, limits: { validFrom: "2026-05-02", validTo: "2026-05-01" } }),
      "limits",
      /cannot be before the start date/,
    ],
    [
      "a window time that is not HH:MM",
      "accessGroups.limits.update",
      (g) => ({ id: g.id, version: g.version, limits: { windows: [{ start: "8:00", end: "18:00" }] } }),
      "limits",
      /Use a time like 08:00/,
    ],
    [
      "a window ending at 24:00",
      "accessGroups.limits.update",
      (g) => ({ id: g.id, version: g.version, limits: { windows: [{ start: "08:00", end: "24:00" }] } }),
      "limits",
      /Use a time like 08:00/,
    ],
    [
      "a region outside its country",
      "accessGroups.locations.update",
      (g) => ({ id: g.id, version: g.version, locations: { restrict: true, allowed: [{ country: "FR", region: "DE-BE" }] } }),
      "locations",
      /The region must be in FR/,
    ],
    [
      "an unknown country",
      "accessGroups.locations.update",
      (g) => ({ id: g.id, version: g.version, locations: { restrict: true, allowed: [{ country: "QQ" }] } }),
      "locations",
      /QQ is not an ISO 3166-1 country code/,
    ],
    [
      "a restriction with no location",
      "accessGroups.locations.update",
      (g) => ({ id: g.id, version: g.version, locations: { restrict: true, allowed: [] } }),
      "locations",
      /Add at least one location/,
    ],
  ];
  it.each(cases)("refuses %s with a field error", async (_what, path, input, field, message) => {
    const g = await newGroup();
    const result = await trpcHttp(carol, path, input(g));
    expect(result).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(result.ok === false && result.fieldErrors?.[field]).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    expect(await getAccessGroup(carol, g.id)).toMatchObject({ version: 1, timeZone: "UTC", settings: g.settings, limits: g.limits, locations: g.locations });
    expect(await audits("access_group.updated")).toHaveLength(0);
    expect(await listAccessGroups(carol)).toHaveLength(1);
  });

  it("a valid save over HTTP goes through the same service", async () => {
    const g = await newGroup();
    const result = await trpcHttp(carol, "accessGroups.locations.update", {
      id: g.id,
      version: 1,
      locations: { restrict: true, allowed: [{ country: "de" }] },
    });
    expect(result).toMatchObject({ ok: true, data: { version: 2, locations: { restrict: true, allowed: [{ country: "DE" }] } } });
    expect(await audits("access_group.updated")).toHaveLength(1);
  });
});

describe("access groups: users tab", () => {
  it("adds people and AD groups by GUID as the directory describes them, once each", async () => {
    const g = await newGroup();
    const person = await addMember(carol, as(carol), g.id, guid["it-ag-alice"]!);
    expect(person).toMatchObject({ kind: "user", name: "it-ag-alice", dn: alice.dn, objectGuid: guid["it-ag-alice"] });
    const group = await addMember(carol, as(carol), g.id, teamGuid);
    expect(group).toMatchObject({ kind: "group", name: "it-ag-team", objectGuid: teamGuid, objectSid: expect.stringMatching(/^S-1-5-21-/) });

    await expect(addMember(carol, as(carol), g.id, guid["it-ag-alice"]!.toUpperCase())).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/already in this access group/),
    });
    await expect(addMember(carol, as(carol), g.id, teamGuid)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(addMember(carol, as(carol), g.id, randomUUID())).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(addMember(carol, as(carol), randomUUID(), guid["it-ag-bob"]!)).rejects.toMatchObject({ code: "NOT_FOUND" });

    const added = await audits("access_group.member_added");
    expect(added.map((e) => e.data)).toEqual([
      { group: "it-ag Tabs", kind: "user", name: "it-ag-alice", dn: alice.dn, objectGuid: guid["it-ag-alice"] },
      { group: "it-ag Tabs", kind: "group", name: "it-ag-team", dn: group.dn, objectGuid: teamGuid },
    ]);

    await removeMember(carol, as(carol), g.id, person.id);
    await expect(removeMember(carol, as(carol), g.id, person.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const [removed] = await audits("access_group.member_removed");
    expect(removed?.data).toMatchObject({ kind: "user", name: "it-ag-alice" });
    expect((await listMembers(carol, g.id)).members.map((m) => m.name)).toEqual(["it-ag-team"]);
  });

  it("refuses distribution groups (people's tokenGroups hold security groups only)", async () => {
    const dn = `CN=it-ag-mailing,${TEST_OU}`;
    const existing = await ad.search(TEST_OU, { scope: "one", filter: "(cn=it-ag-mailing)", attributes: ["cn"] });
    // groupType 2 = global distribution group.
    if (existing.searchEntries.length === 0) await ad.add(dn, { objectClass: ["top", "group"], sAMAccountName: "it-ag-mailing", groupType: "2" });
    const g = await newGroup();
    await expect(addMember(carol, as(carol), g.id, await objectGuidOf(dn))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/distribution group/),
    });
    expect((await listMembers(carol, g.id)).members).toEqual([]);
  });

  it("counts the people whose primary group it is (Domain Users lets everyone in)", async () => {
    const g = await newGroup();
    const [domainUsers] = (
      await ad.search(process.env.LDAP_BASE_DN!, {
        scope: "sub",
        filter: "(&(objectClass=group)(cn=Domain Users))",
        attributes: ["objectGUID"],
        explicitBufferAttributes: ["objectGUID"],
      })
    ).searchEntries;
    await addMember(carol, as(carol), g.id, guidToString(domainUsers!.objectGUID as Buffer));
    const [entry] = (await listMembers(carol, g.id)).members;
    // Everyone is in Domain Users only through primaryGroupID, which memberOf does not show: without
    // counting it, the list would be empty. (The DC may hold thousands of bench users: a sample.)
    const names = entry?.nested?.users.map((u) => u.name) ?? [];
    expect(names.length).toBeGreaterThan(0);
    expect(names.includes("it-ag-alice") || entry?.nested?.truncated).toBe(true);
  });

  it("lists the people of a nested AD group with their activation, which admins set and audit", async () => {
    const g = await newGroup();
    await addMember(carol, as(carol), g.id, teamGuid);
    await addMember(carol, as(carol), g.id, guid["it-ag-alice"]!);

    const before = await listMembers(carol, g.id);
    expect(before.autoGrant).toBe(false);
    expect(before.members).toEqual([
      expect.objectContaining({
        kind: "user",
        name: "it-ag-alice",
        activation: { state: "pending", seen: false, decidedAt: null, source: null },
        nested: null,
      }),
      expect.objectContaining({
        kind: "group",
        name: "it-ag-team",
        activation: null,
        // bob is in it-ag-team-sub, which is in it-ag-team.
        nested: {
          truncated: false,
          users: [
            expect.objectContaining({
              name: "it-ag-bob",
              objectGuid: guid["it-ag-bob"],
              activation: expect.objectContaining({ state: "pending", seen: false }),
            }),
          ],
        },
      }),
    ]);

    await setActivation(carol, as(carol), g.id, guid["it-ag-bob"]!, "active");
    await setActivation(carol, as(carol), g.id, guid["it-ag-alice"]!, "suspended");
    await setActivation(carol, as(carol), g.id, guid["it-ag-bob"]!, "suspended");
    const changes = (await audits("access_group.activation_changed")).map((e) => ({ actor: e.actorName, ...e.data }));
    expect(changes).toEqual([
      { actor: "carol", group: "it-ag Tabs", username: "it-ag-bob", userGuid: guid["it-ag-bob"], before: null, after: "active", source: "admin" },
      { actor: "carol", group: "it-ag Tabs", username: "it-ag-alice", userGuid: guid["it-ag-alice"], before: null, after: "suspended", source: "admin" },
      { actor: "carol", group: "it-ag Tabs", username: "it-ag-bob", userGuid: guid["it-ag-bob"], before: "active", after: "suspended", source: "admin" },
    ]);
    await setActivation(carol, as(carol), g.id, guid["it-ag-bob"]!, "active");

    const after = await listMembers(carol, g.id);
    const bob = after.members.find((m) => m.kind === "group")?.nested?.users[0];
    expect(bob?.activation).toMatchObject({ state: "active", seen: true, source: "admin", decidedAt: expect.any(Date) });
    expect(after.members.find((m) => m.kind === "user")?.activation).toMatchObject({ state: "suspended", seen: true });
    // Only people can be activated: an AD group's GUID is not one.
    await expect(setActivation(carol, as(carol), g.id, teamSubGuid, "active")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("access groups: approvers tab", () => {
  async function approvingGroup(inLevels: boolean) {
    const g = await newGroup();
    return updateSettings(carol, as(carol), { ...settingsOf(g), settings: groupSettingsSchema.parse({ requiresApproval: true, approvalInLevels: inLevels }) });
  }

  it("levels follow each other from 1 and need no more approvals than they have approvers", async () => {
    const g = await approvingGroup(true);
    const update = (approvers: { userGuid: string; level: number }[], levels: { level: number; requiredApprovals: number }[]) =>
      trpcHttp(carol, "accessGroups.approvers.update", { id: g.id, version: g.version, approvers, levels });

    const gap = await update(
      [
        { userGuid: guid.carol!, level: 1 },
        { userGuid: guid["it-ag-appr1"]!, level: 3 },
      ],
      [],
    );
    expect(gap).toMatchObject({ ok: false, code: "BAD_REQUEST", fieldErrors: { approvers: [expect.stringMatching(/level 2 has no approver/)] } });
    const noLevel1 = await update([{ userGuid: guid.carol!, level: 2 }], []);
    expect(noLevel1).toMatchObject({ ok: false, fieldErrors: { approvers: [expect.stringMatching(/level 1 has no approver/)] } });
    const tooMany = await update([{ userGuid: guid.carol!, level: 1 }], [{ level: 1, requiredApprovals: 2 }]);
    expect(tooMany).toMatchObject({ ok: false, fieldErrors: { levels: [expect.stringMatching(/Level 1 has 1 approver; it cannot need 2/)] } });
    const emptyLevel = await update([{ userGuid: guid.carol!, level: 1 }], [{ level: 2, requiredApprovals: 1 }]);
    expect(emptyLevel).toMatchObject({ ok: false, fieldErrors: { levels: [expect.stringMatching(/Level 2 has no approver/)] } });
    const twice = await update(
      [
        { userGuid: guid.carol!, level: 1 },
        { userGuid: guid.carol!.toUpperCase(), level: 1 },
      ],
      [],
    );
    expect(twice).toMatchObject({ ok: false, fieldErrors: { approvers: [expect.stringMatching(/listed twice/)] } });

    const ok = await update(
      [
        { userGuid: guid.carol!, level: 1 },
        { userGuid: guid["it-ag-appr1"]!, level: 2 },
        { userGuid: guid["it-ag-appr2"]!, level: 2 },
      ],
      [{ level: 2, requiredApprovals: 2 }],
    );
    expect(ok).toMatchObject({
      ok: true,
      data: {
        levels: [
          { level: 1, requiredApprovals: 1 },
          { level: 2, requiredApprovals: 2 },
        ],
      },
    });
    expect(await audits("access_group.updated")).toHaveLength(2); // the settings save, then the approvers
  });

  it("without approval in levels every approver is on level 1", async () => {
    const g = await approvingGroup(false);
    const input = approversInput.parse({
      id: g.id,
      version: g.version,
      approvers: [
        { userGuid: guid.carol, level: 1 },
        { userGuid: guid["it-ag-appr1"], level: 2 },
      ],
      levels: [],
    });
    await expect(updateApprovers(carol, as(carol), input)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/does not approve in levels/),
    });
    expect((await getApprovers(carol, g.id)).approvers).toEqual([]);
    const flat = await updateApprovers(carol, as(carol), { ...input, approvers: input.approvers.map((a) => ({ ...a, level: 1 })) });
    expect(flat.approvers.map((a) => [a.username, a.level])).toEqual([
      ["carol", 1],
      ["it-ag-appr1", 1],
    ]);
  });

  it("approval in levels cannot be turned off while approvers sit above level 1", async () => {
    const g = await approvingGroup(true);
    const saved = await updateApprovers(carol, as(carol), {
      id: g.id,
      version: g.version,
      approvers: [
        { userGuid: guid.carol!, level: 1 },
        { userGuid: guid["it-ag-appr1"]!, level: 2 },
      ],
      levels: [],
    });
    expect(saved.levels).toHaveLength(2);
    const current = await getAccessGroup(carol, g.id);
    await expect(
      updateSettings(carol, as(carol), { ...settingsOf(current), settings: groupSettingsSchema.parse({ requiresApproval: true, approvalInLevels: false }) }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/level 2 .*it-ag-appr1.*move every approver to level 1/) });
    expect(groupSettingsSchema.parse((await getAccessGroup(carol, g.id)).settings).approvalInLevels).toBe(true);
  });

  it("approvers must be enabled people in the directory", async () => {
    const g = await approvingGroup(false);
    const input = (userGuid: string) => approversInput.parse({ id: g.id, version: g.version, approvers: [{ userGuid, level: 1 }], levels: [] });
    await expect(updateApprovers(carol, as(carol), input(teamGuid))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/not a user in the directory/),
    });
    await expect(updateApprovers(carol, as(carol), input(randomUUID()))).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("the saved approvers and levels round-trip, and each save is audited with before and after", async () => {
    const g = await approvingGroup(true);
    const first = approversInput.parse({
      id: g.id,
      version: g.version,
      approvers: [
        { userGuid: guid["it-ag-appr2"], level: 2 },
        { userGuid: guid.carol, level: 1 },
        { userGuid: guid["it-ag-appr1"], level: 2 },
      ],
      levels: [{ level: 2, requiredApprovals: 2 }],
    });
    const saved = await updateApprovers(carol, as(carol), first);
    const read = await getApprovers(carol, g.id);
    expect(read).toEqual(saved);
    expect(read.levels).toEqual([
      { level: 1, requiredApprovals: 1 },
      { level: 2, requiredApprovals: 2 },
    ]);
    expect(read.approvers.map((a) => ({ username: a.username, level: a.level, userGuid: a.userGuid, dn: a.dn }))).toEqual([
      { username: "carol", level: 1, userGuid: guid.carol, dn: expect.stringMatching(/^CN=carol,/i) },
      { username: "it-ag-appr1", level: 2, userGuid: guid["it-ag-appr1"], dn: expect.stringMatching(/^CN=it-ag-appr1,/) },
      { username: "it-ag-appr2", level: 2, userGuid: guid["it-ag-appr2"], dn: expect.stringMatching(/^CN=it-ag-appr2,/) },
    ]);
    const viaHttp = await trpcHttp(carol, "accessGroups.approvers.get", { id: g.id }, { query: true });
    expect(viaHttp).toMatchObject({ ok: true, data: { version: g.version + 1, requiresApproval: true, approvalInLevels: true, levels: read.levels } });

    await updateApprovers(
      carol,
      as(carol),
      approversInput.parse({ id: g.id, version: g.version + 1, approvers: [{ userGuid: guid["it-ag-appr1"], level: 1 }], levels: [] }),
    );
    const events = (await audits("access_group.updated")).filter((e) => (e.data as { tab: string }).tab === "approvers").map((e) => e.data);
    const secondLevel = [
      { username: "it-ag-appr1", level: 2 },
      { username: "it-ag-appr2", level: 2 },
    ];
    expect(events).toEqual([
      { tab: "approvers", before: { levels: [], approvers: [] }, after: { levels: read.levels, approvers: [{ username: "carol", level: 1 }, ...secondLevel] } },
      {
        tab: "approvers",
        before: { levels: read.levels, approvers: [{ username: "carol", level: 1 }, ...secondLevel] },
        after: { levels: [{ level: 1, requiredApprovals: 1 }], approvers: [{ username: "it-ag-appr1", level: 1 }] },
      },
    ]);
    expect((await listAccessGroups(carol))[0]?.approvers).toBe(1);
  });
});

describe("access groups: previews", () => {
  it("the criteria preview counts and samples exactly what the criteria select", async () => {
    await publishNamed(carol, "it-ag-priv-db", "DB Admins", ["db", "prod"]);
    await publishNamed(carol, "it-ag-priv-web", "Web Operators", ["web"]);
    await db.insert(catalogDevices).values([
      { name: "srv-db-01", model: "PostgreSQL", type: "database", tags: ["prod"], source: "manual" },
      { name: "srv-web-01", model: "nginx", type: "web", tags: ["test"], source: "manual" },
      { name: "srv-old-01", model: "nginx", type: "web", tags: ["prod"], source: "manual", present: false },
    ]);
    await db.insert(catalogCredentials).values([
      { username: "svc-db-admin", type: "domain", deviceNames: ["srv-db-01"], source: "manual" },
      { username: "svc-web-admin", type: "domain", deviceNames: ["srv-web-01"], source: "manual" },
      { username: "svc-old-admin", type: "domain", deviceNames: ["srv-db-01"], source: "manual", present: false },
    ]);
    const preview = (criteria: object, sampleSize = 10) => previewCriteria(carol, criteriaSchema.parse(criteria), sampleSize);

    expect(await preview({ privilegeNames: ["db *"] })).toEqual({
      privileges: { count: 1, of: 2, sample: ["DB Admins"] },
      // A group that only names privileges opens no privileged account and no device.
      credentials: { count: 0, of: 2, sample: [] },
      devices: { count: 0, of: 2, sample: [] },
    });
    expect((await preview({ privilegeTags: ["w*"] })).privileges).toEqual({ count: 1, of: 2, sample: ["Web Operators"] });
    expect((await preview({ privilegeNames: ["*"], privilegeTags: ["prod"] })).privileges.sample).toEqual(["DB Admins"]);

    const byDevice = await preview({ deviceTags: ["prod"] });
    expect(byDevice).toEqual({
      privileges: { count: 0, of: 2, sample: [] },
      credentials: { count: 1, of: 2, sample: ["svc-db-admin"] },
      devices: { count: 1, of: 2, sample: ["srv-db-01"] },
    });

    const everything = await preview({});
    expect(everything.privileges.count).toBe(2);
    expect(everything.credentials).toMatchObject({ count: 2, of: 2 });
    expect(everything.devices).toMatchObject({ count: 2, of: 2 });

    const sampled = await preview({ credentialUsernames: ["svc-*-admin"] }, 1);
    expect(sampled.credentials).toEqual({ count: 2, of: 2, sample: [expect.stringMatching(/^svc-(db|web)-admin$/)] });

    const viaHttp = await trpcHttp(
      carol,
      "accessGroups.criteria.preview",
      { criteria: { credentialTypes: ["domain"], deviceNames: ["srv-web-*"] } },
      { query: true },
    );
    expect(viaHttp).toMatchObject({ ok: true, data: { credentials: { count: 1, sample: ["svc-web-admin"] }, devices: { count: 1, sample: ["srv-web-01"] } } });
  });

  it("the limits preview gives the clipped end when the window closes before the requested end", async () => {
    const limits = limitsSchema.parse({ windows: [{ start: "09:00", end: "10:30" }] });
    // 2030-01-07 is a Monday.
    const at = new Date("2030-01-07T10:00:00Z");
    expect(previewLimits(carol, { limits, timeZone: "UTC", durationMinutes: 60, at })).toEqual({
      at,
      open: true,
      windowEndsAt: new Date("2030-01-07T10:30:00Z"),
      requestedEnd: new Date("2030-01-07T11:00:00Z"),
      endsAt: new Date("2030-01-07T10:30:00Z"),
      clipped: true,
    });
    expect(previewLimits(carol, { limits, timeZone: "UTC", durationMinutes: 20, at })).toMatchObject({
      endsAt: new Date("2030-01-07T10:20:00Z"),
      clipped: false,
    });
    // The window is wall-clock time in the group's zone: 09:00–10:30 in Paris is 08:00–09:30 UTC in winter.
    expect(previewLimits(carol, { limits, timeZone: "Europe/Paris", durationMinutes: 60, at: new Date("2030-01-07T09:00:00Z") })).toMatchObject({
      open: true,
      endsAt: new Date("2030-01-07T09:30:00Z"),
      clipped: true,
    });
    expect(previewLimits(carol, { limits, timeZone: "UTC", durationMinutes: 60, at: new Date("2030-01-07T12:00:00Z") })).toMatchObject({
      open: false,
      reason: expect.stringMatching(/Outside the allowed hours 09:00–10:30/),
      nextWindowStartsAt: new Date("2030-01-08T09:00:00Z"),
    });

    const viaHttp = await trpcHttp(
      carol,
      "accessGroups.limits.preview",
      { limits: { windows: [{ start: "09:00", end: "10:30" }] }, timeZone: "UTC", durationMinutes: 60, at },
      { query: true },
    );
    expect(viaHttp).toMatchObject({ ok: true, data: { endsAt: new Date("2030-01-07T10:30:00Z"), clipped: true } });
    expect(await trpcHttp(alice, "accessGroups.limits.preview", { limits: {}, timeZone: "UTC" }, { query: true })).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
  });
});
