import { randomUUID } from "node:crypto";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import {
  accessGroupApprovers,
  accessGroupMembers,
  accessGroups,
  catalogCredentials,
  catalogDevices,
  driftFindings,
  grants,
  privilegeSetItems,
  privilegeSets,
  privileges,
  requests,
} from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { pageAccessGroups, pageMembers } from "@/server/access-groups/lists";
import { searchDirectory } from "@/server/access-groups/members";
import { criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema } from "@/server/access-groups/policy/schemas";
import { pageCredentials, pageDevices } from "@/server/catalog/lists";
import { pageDriftSettings, pageFindings } from "@/server/drift/lists";
import { setDriftAction } from "@/server/drift/service";
import { pageLiveGrants } from "@/server/grants/service";
import { pagePrivilegeSets } from "@/server/privilege-sets/service";
import { pagePrivileges } from "@/server/privileges/service";
import { createCaller } from "@/server/trpc/root";
import { MAX_PAGE_SIZE } from "@/shared/paging";
import { actorFor, localUser, resetDatabase } from "./fixtures";

/*
 * Issue 15: the admin lists answer one page (at most MAX_PAGE_SIZE rows) with the total,
 * searched and filtered in the database. Rows are written straight to the real Postgres: the
 * lists read the database only, and 130 directory groups would test the DC, not the paging.
 */

let carol: SessionUser;
let alice: SessionUser;
const ids: string[] = [];

function callerAs(user: SessionUser) {
  return createCaller({ user, ip: "127.0.0.1", userAgent: "vitest", requestId: `lists-${user.username}`, log: pino({ level: "silent" }) });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    return (e as { code?: string }).code ?? "threw";
  }
}

const n3 = (i: number) => String(i).padStart(3, "0");

beforeAll(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  alice = await localUser("alice");
  // 130 privileges: every 10th disabled, every 7th TTL, every 13th tagged "finance"; one name with LIKE's metacharacters.
  const rows = Array.from({ length: 130 }, (_, k) => {
    const i = k + 1;
    return {
      name: i === 77 ? "List P077 100%_off" : `List P${n3(i)}`,
      description: i === 42 ? "the answer" : "",
      groupDn: `CN=it-list-${n3(i)},OU=Privileges,OU=Interim,DC=interim,DC=test`,
      groupGuid: randomUUID(),
      tags: i % 13 === 0 ? ["finance"] : [],
      maxDurationMinutes: 60,
      defaultDurationMinutes: 30,
      mechanism: i % 7 === 0 ? ("ttl" as const) : ("direct" as const),
      enabled: i % 10 !== 0,
    };
  });
  const inserted = await db.insert(privileges).values(rows).returning({ id: privileges.id, name: privileges.name });
  inserted.sort((a, b) => a.name.localeCompare(b.name));
  ids.push(...inserted.map((r) => r.id));
});

describe("privileges.page", () => {
  it("answers the first page in name order with the total", async () => {
    const page = await callerAs(carol).privileges.page({});
    expect(page.total).toBe(130);
    expect(page.items).toHaveLength(25);
    expect(page.items[0]!.name).toBe("List P001");
    expect(page.items[24]!.name).toBe("List P025");
    expect(page).toMatchObject({ page: 1, pageSize: 25 });
  });

  it("refuses a page size over the maximum at the procedure, and clamps it in the service", async () => {
    expect(await codeOf(callerAs(carol).privileges.page({ pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    const direct = await pagePrivileges(carol, { pageSize: 10_000 });
    expect(direct.items).toHaveLength(MAX_PAGE_SIZE);
    expect(direct.pageSize).toBe(MAX_PAGE_SIZE);
  });

  it("pages on: the next page follows, the last is short, past the end is empty with the total", async () => {
    const second = await callerAs(carol).privileges.page({ page: 2, pageSize: 50 });
    expect(second.items.map((p) => p.name).slice(0, 2)).toEqual(["List P051", "List P052"]);
    const last = await callerAs(carol).privileges.page({ page: 3, pageSize: 50 });
    expect(last.items).toHaveLength(30);
    const beyond = await callerAs(carol).privileges.page({ page: 9, pageSize: 50 });
    expect(beyond).toMatchObject({ items: [], total: 130, page: 9 });
  });

  it("searches name, description, group DN and tags, ignoring case, with LIKE's metacharacters taken literally", async () => {
    const byName = await callerAs(carol).privileges.page({ q: "p01" });
    expect(byName.items.map((p) => p.name)).toEqual(Array.from({ length: 10 }, (_, i) => `List P01${i}`));
    expect(byName.total).toBe(10);
    expect((await callerAs(carol).privileges.page({ q: "THE ANSWER" })).items.map((p) => p.name)).toEqual(["List P042"]);
    expect((await callerAs(carol).privileges.page({ q: "it-list-099" })).items.map((p) => p.name)).toEqual(["List P099"]);
    expect((await callerAs(carol).privileges.page({ q: "finance" })).total).toBe(10);
    expect((await callerAs(carol).privileges.page({ q: "%_" })).items.map((p) => p.name)).toEqual(["List P077 100%_off"]);
    expect((await callerAs(carol).privileges.page({ q: "P0_1" })).total).toBe(0);
  });

  it("filters by status and mechanism, combined with the search", async () => {
    expect((await callerAs(carol).privileges.page({ status: "disabled" })).total).toBe(13);
    expect((await callerAs(carol).privileges.page({ status: "enabled" })).total).toBe(117);
    expect((await callerAs(carol).privileges.page({ mechanism: "ttl" })).total).toBe(18);
    const both = await callerAs(carol).privileges.page({ status: "disabled", mechanism: "ttl", pageSize: 100 });
    expect(both.items.map((p) => p.name)).toEqual(["List P070"]);
    expect((await callerAs(carol).privileges.page({ q: "P1", status: "disabled" })).items.map((p) => p.name)).toEqual([
      "List P100",
      "List P110",
      "List P120",
      "List P130",
    ]);
  });

  it("is for admins only", async () => {
    expect(await codeOf(callerAs(alice).privileges.page({}))).toBe("FORBIDDEN");
    expect(await codeOf(pagePrivileges(alice, {}))).toBe("FORBIDDEN");
  });
});

describe("drift lists", () => {
  beforeAll(async () => {
    await setDriftAction(carol, actorFor(carol), { privilegeId: ids[4]!, action: "remove" });
    await setDriftAction(carol, actorFor(carol), { privilegeId: ids[5]!, action: "remove" });
    const finding = (i: number, member: string, resolution: "accepted" | null = null) => ({
      privilegeId: ids[i]!,
      groupGuid: randomUUID(),
      groupDn: `CN=it-list-${n3(i + 1)},OU=Privileges,OU=Interim,DC=interim,DC=test`,
      memberGuid: randomUUID(),
      memberDn: `CN=${member},OU=People,DC=interim,DC=test`,
      memberName: member,
      memberClass: "user" as const,
      kind: "standing" as const,
      resolution,
      resolvedAt: resolution ? new Date() : null,
    });
    await db.insert(driftFindings).values([finding(5, "stray-one"), finding(5, "stray-two"), finding(8, "stray-three"), finding(9, "kept-one", "accepted")]);
  });

  it("settingsPage: one page of groups with the total, searched, filtered by action and by open findings", async () => {
    const first = await callerAs(carol).drift.settingsPage({});
    expect(first.total).toBe(130);
    expect(first.items).toHaveLength(25);
    expect((await callerAs(carol).drift.settingsPage({ q: "it-list-006" })).items).toEqual([
      expect.objectContaining({ privilege: "List P006", action: "remove", openCount: 2, updatedBy: "carol" }),
    ]);
    expect((await callerAs(carol).drift.settingsPage({ action: "remove" })).items.map((g) => g.privilege)).toEqual(["List P005", "List P006"]);
    expect((await callerAs(carol).drift.settingsPage({ action: "alert" })).total).toBe(128);
    expect((await callerAs(carol).drift.settingsPage({ withFindings: true })).items.map((g) => [g.privilege, g.openCount])).toEqual([
      ["List P006", 2],
      ["List P009", 1],
    ]);
    expect(await codeOf(callerAs(carol).drift.settingsPage({ pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    expect((await pageDriftSettings(carol, { pageSize: 5000 })).items).toHaveLength(MAX_PAGE_SIZE);
    expect(await callerAs(carol).drift.settingsPage({ page: 40 })).toMatchObject({ items: [], total: 130 });
  });

  it("findingsPage: open or accepted, searched by member, privilege or DN", async () => {
    expect((await callerAs(carol).drift.findingsPage({})).total).toBe(4);
    expect((await callerAs(carol).drift.findingsPage({ state: "open" })).items.map((f) => f.memberName).sort()).toEqual([
      "stray-one",
      "stray-three",
      "stray-two",
    ]);
    expect((await callerAs(carol).drift.findingsPage({ state: "accepted" })).items.map((f) => f.memberName)).toEqual(["kept-one"]);
    expect((await callerAs(carol).drift.findingsPage({ q: "STRAY-T" })).total).toBe(2);
    expect((await callerAs(carol).drift.findingsPage({ q: "List P009", state: "open" })).items.map((f) => f.memberName)).toEqual(["stray-three"]);
    expect((await pageFindings(carol, { pageSize: 1, page: 2 })).items).toHaveLength(1);
    expect(await callerAs(carol).drift.findingsPage({ page: 9 })).toMatchObject({ items: [], total: 4 });
  });

  it("are for admins only", async () => {
    expect(await codeOf(callerAs(alice).drift.settingsPage({}))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs(alice).drift.findingsPage({}))).toBe("FORBIDDEN");
    expect(await codeOf(pageFindings(alice, {}))).toBe("FORBIDDEN");
  });
});

describe("grants.page", () => {
  beforeAll(async () => {
    // One grant per privilege (P001…P012), alternating holders; newest last. Ended ones (expired
    // and seen gone, failed) are not live and never listed.
    const states = [
      "pending",
      "provisioning",
      "replicating",
      "active",
      "active",
      "active",
      "active",
      "expiring",
      "revoked",
      "expired",
      "failed",
      "pending",
    ] as const;
    const base = Date.now() - 3_600_000;
    for (const [k, state] of states.entries()) {
      const holder = k % 2 === 0 ? alice : carol;
      const dn = `CN=it-list-${n3(k + 1)},OU=Privileges,OU=Interim,DC=interim,DC=test`;
      const [request] = await db
        .insert(requests)
        .values({
          requesterId: holder.id,
          privilegeId: ids[k]!,
          targetDn: `CN=${holder.username},CN=Users,DC=interim,DC=test`,
          durationMinutes: 60,
          status: "approved",
        })
        .returning({ id: requests.id });
      const activated = !["pending", "provisioning", "failed"].includes(state);
      await db.insert(grants).values({
        requestId: request!.id,
        userId: holder.id,
        privilegeId: ids[k]!,
        memberGuid: randomUUID(),
        memberDn: `CN=${holder.username},CN=Users,DC=interim,DC=test`,
        groupGuid: randomUUID(),
        groupDn: dn,
        state,
        durationSeconds: 3600,
        createdAt: new Date(base + k * 1000),
        activatedAt: activated ? new Date(base + k * 1000) : null,
        expiresAt: activated ? new Date(base + 7_200_000) : null,
        removalVerifiedAt: state === "expired" ? new Date() : null,
      });
    }
  });

  it("answers the live grants newest first with the total, and pages on", async () => {
    const first = await callerAs(carol).grants.page({ pageSize: 4 });
    expect(first.total).toBe(10);
    expect(first.items.map((g) => g.privilege)).toEqual(["List P012", "List P009", "List P008", "List P007"]);
    const third = await callerAs(carol).grants.page({ pageSize: 4, page: 3 });
    expect(third.items.map((g) => g.privilege)).toEqual(["List P002", "List P001"]);
    expect(await callerAs(carol).grants.page({ pageSize: 4, page: 9 })).toMatchObject({ items: [], total: 10 });
  });

  it("refuses a page size over the maximum at the procedure, and clamps it in the service", async () => {
    expect(await codeOf(callerAs(carol).grants.page({ pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    expect((await pageLiveGrants(carol, { pageSize: 1, page: 2 })).items).toHaveLength(1);
    expect((await pageLiveGrants(carol, { pageSize: 10_000 })).pageSize).toBe(MAX_PAGE_SIZE);
  });

  it("searches holder and privilege, and filters by state", async () => {
    expect((await callerAs(carol).grants.page({ q: "ALICE" })).items.map((g) => g.privilege)).toEqual([
      "List P009",
      "List P007",
      "List P005",
      "List P003",
      "List P001",
    ]);
    expect((await callerAs(carol).grants.page({ q: "it-list-004" })).items.map((g) => g.username)).toEqual(["carol"]);
    expect((await callerAs(carol).grants.page({ state: "waiting" })).items.map((g) => g.privilege)).toEqual(["List P012", "List P002", "List P001"]);
    expect((await callerAs(carol).grants.page({ state: "active" })).total).toBe(4);
    expect((await callerAs(carol).grants.page({ state: "replicating" })).items.map((g) => g.privilege)).toEqual(["List P003"]);
    const removing = await callerAs(carol).grants.page({ state: "removing" });
    expect(removing.items.map((g) => [g.privilege, g.removalPending])).toEqual([
      ["List P009", true],
      ["List P008", false],
    ]);
    expect((await callerAs(carol).grants.page({ state: "active", q: "carol" })).items.map((g) => g.privilege)).toEqual(["List P006", "List P004"]);
    expect(await codeOf(callerAs(carol).grants.page({ state: "failed" as never }))).toBe("BAD_REQUEST");
  });

  it("is for admins only", async () => {
    expect(await codeOf(callerAs(alice).grants.page({}))).toBe("FORBIDDEN");
    expect(await codeOf(pageLiveGrants(alice, {}))).toBe("FORBIDDEN");
  });
});

describe("access group lists", () => {
  const groupIds: string[] = [];
  beforeAll(async () => {
    // 45 groups: every 5th disabled, one described "payroll"; the first holds 60 people and 2 approvers.
    const inserted = await db
      .insert(accessGroups)
      .values(
        Array.from({ length: 45 }, (_, k) => ({
          name: `List AG${n3(k + 1)}`,
          description: k + 1 === 17 ? "Payroll clerks" : "",
          enabled: (k + 1) % 5 !== 0,
          settings: groupSettingsSchema.parse({}),
          criteria: criteriaSchema.parse({}),
          limits: limitsSchema.parse({}),
          locations: locationPolicySchema.parse({}),
        })),
      )
      .returning({ id: accessGroups.id, name: accessGroups.name });
    inserted.sort((a, b) => a.name.localeCompare(b.name));
    groupIds.push(...inserted.map((g) => g.id));
    await db.insert(accessGroupMembers).values(
      Array.from({ length: 60 }, (_, k) => ({
        groupId: groupIds[0]!,
        kind: "user" as const,
        objectGuid: randomUUID(),
        dn: `CN=list-person-${n3(k + 1)},OU=People,DC=interim,DC=test`,
        name: `list-person-${n3(k + 1)}`,
        displayName: k + 1 === 33 ? "Zoë Thirtythree" : "",
      })),
    );
    await db
      .insert(accessGroupApprovers)
      .values(["a1", "a2"].map((username) => ({ groupId: groupIds[0]!, userGuid: randomUUID(), username, dn: `CN=${username},DC=interim,DC=test`, level: 1 })));
  });

  it("groups.page: one page by name with counts and the total, searched, filtered, bounded", async () => {
    const first = await callerAs(carol).accessGroups.groups.page({ pageSize: 10 });
    expect(first.total).toBe(45);
    expect(first.items.map((g) => g.name).slice(0, 2)).toEqual(["List AG001", "List AG002"]);
    expect(first.items[0]).toMatchObject({ users: 60, directoryGroups: 0, approvers: 2 });
    expect((await callerAs(carol).accessGroups.groups.page({ pageSize: 10, page: 5 })).items.map((g) => g.name)).toEqual([
      "List AG041",
      "List AG042",
      "List AG043",
      "List AG044",
      "List AG045",
    ]);
    expect((await callerAs(carol).accessGroups.groups.page({ q: "PAYROLL" })).items.map((g) => g.name)).toEqual(["List AG017"]);
    expect((await callerAs(carol).accessGroups.groups.page({ status: "disabled" })).total).toBe(9);
    expect((await callerAs(carol).accessGroups.groups.page({ status: "enabled", q: "AG01" })).items.map((g) => g.name)).toEqual([
      "List AG011",
      "List AG012",
      "List AG013",
      "List AG014",
      "List AG016",
      "List AG017",
      "List AG018",
      "List AG019",
    ]);
    expect(await codeOf(callerAs(carol).accessGroups.groups.page({ pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    expect((await pageAccessGroups(carol, { pageSize: 10_000 })).pageSize).toBe(MAX_PAGE_SIZE);
    expect(await callerAs(carol).accessGroups.groups.page({ page: 50 })).toMatchObject({ items: [], total: 45 });
  });

  it("users.page: one group's members a page at a time, searched, filtered by kind, bounded", async () => {
    const first = await callerAs(carol).accessGroups.users.page({ id: groupIds[0]! });
    expect(first).toMatchObject({ total: 60, page: 1, pageSize: 25, autoGrant: false });
    expect(first.items).toHaveLength(25);
    expect(first.items[0]).toMatchObject({ name: "list-person-001", activation: { state: "pending", seen: false } });
    expect((await callerAs(carol).accessGroups.users.page({ id: groupIds[0]!, page: 3 })).items.map((m) => m.name).slice(0, 1)).toEqual(["list-person-051"]);
    expect((await callerAs(carol).accessGroups.users.page({ id: groupIds[0]!, q: "zoë" })).items.map((m) => m.name)).toEqual(["list-person-033"]);
    expect((await callerAs(carol).accessGroups.users.page({ id: groupIds[0]!, q: "person-05" })).total).toBe(10);
    expect((await callerAs(carol).accessGroups.users.page({ id: groupIds[0]!, kind: "group" })).total).toBe(0);
    expect((await callerAs(carol).accessGroups.users.page({ id: groupIds[1]! })).total).toBe(0);
    expect(await codeOf(callerAs(carol).accessGroups.users.page({ id: groupIds[0]!, pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    expect((await pageMembers(carol, { id: groupIds[0]!, pageSize: 10_000 })).items).toHaveLength(60);
    expect((await pageMembers(carol, { id: groupIds[0]!, pageSize: 10_000 })).pageSize).toBe(MAX_PAGE_SIZE);
    expect(await codeOf(callerAs(carol).accessGroups.users.page({ id: randomUUID() }))).toBe("NOT_FOUND");
  });

  it("the directory search marks who is already a member (the paged tab cannot tell)", async () => {
    const [found] = (await searchDirectory(carol, "user", "alice")).filter((p) => p.name === "alice");
    await db.insert(accessGroupMembers).values({ groupId: groupIds[2]!, kind: "user", objectGuid: found!.objectGuid, dn: found!.dn, name: "alice" });
    const marked = await callerAs(carol).accessGroups.users.search({ kind: "user", query: "alice", groupId: groupIds[2]! });
    expect(marked.find((p) => p.name === "alice")?.member).toBe(true);
    const elsewhere = await callerAs(carol).accessGroups.users.search({ kind: "user", query: "alice", groupId: groupIds[3]! });
    expect(elsewhere.find((p) => p.name === "alice")?.member).toBe(false);
  });

  it("are for admins only", async () => {
    expect(await codeOf(callerAs(alice).accessGroups.groups.page({}))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs(alice).accessGroups.users.page({ id: groupIds[0]! }))).toBe("FORBIDDEN");
    expect(await codeOf(pageAccessGroups(alice, {}))).toBe("FORBIDDEN");
    expect(await codeOf(pageMembers(alice, { id: groupIds[0]! }))).toBe("FORBIDDEN");
  });
});

describe("privilegeSets.page", () => {
  beforeAll(async () => {
    // 30 sets: set k holds privileges P(k) and P(k+1); every 4th disabled; one described "nightly batch".
    const sets = await db
      .insert(privilegeSets)
      .values(
        Array.from({ length: 30 }, (_, k) => ({ name: `List S${n3(k + 1)}`, description: k + 1 === 12 ? "Nightly batch" : "", enabled: (k + 1) % 4 !== 0 })),
      )
      .returning({ id: privilegeSets.id, name: privilegeSets.name });
    sets.sort((a, b) => a.name.localeCompare(b.name));
    await db.insert(privilegeSetItems).values(sets.flatMap((set, k) => [ids[k]!, ids[k + 1]!].map((privilegeId) => ({ setId: set.id, privilegeId }))));
  });

  it("answers one page by name with the set's privileges and the total, and pages on", async () => {
    const first = await callerAs(carol).privilegeSets.page({ pageSize: 12 });
    expect(first.total).toBe(30);
    expect(first.items.map((s) => s.name).slice(0, 2)).toEqual(["List S001", "List S002"]);
    expect(first.items[0]!.privileges.map((p) => p.name)).toEqual(["List P001", "List P002"]);
    expect(first.items[0]).toMatchObject({ maxDurationMinutes: 60 });
    expect((await callerAs(carol).privilegeSets.page({ pageSize: 12, page: 3 })).items.map((s) => s.name)).toEqual(
      Array.from({ length: 6 }, (_, i) => `List S${n3(25 + i)}`),
    );
    expect(await callerAs(carol).privilegeSets.page({ page: 7 })).toMatchObject({ items: [], total: 30 });
  });

  it("searches name, description and the sets' privileges; filters by enabled; bounds the page", async () => {
    expect((await callerAs(carol).privilegeSets.page({ q: "NIGHTLY" })).items.map((s) => s.name)).toEqual(["List S012"]);
    expect((await callerAs(carol).privilegeSets.page({ q: "list p030" })).items.map((s) => s.name)).toEqual(["List S029", "List S030"]);
    expect((await callerAs(carol).privilegeSets.page({ q: "S01" })).total).toBe(10);
    expect((await callerAs(carol).privilegeSets.page({ status: "disabled" })).total).toBe(7);
    expect((await callerAs(carol).privilegeSets.page({ status: "disabled", q: "P02" })).items.map((s) => s.name)).toEqual([
      "List S020",
      "List S024",
      "List S028",
    ]);
    expect((await callerAs(carol).privilegeSets.page({ q: "_" })).total).toBe(0);
    expect(await codeOf(callerAs(carol).privilegeSets.page({ pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    expect((await pagePrivilegeSets(carol, { pageSize: 10_000 })).pageSize).toBe(MAX_PAGE_SIZE);
  });

  it("is for admins only", async () => {
    expect(await codeOf(callerAs(alice).privilegeSets.page({}))).toBe("FORBIDDEN");
    expect(await codeOf(pagePrivilegeSets(alice, {}))).toBe("FORBIDDEN");
  });
});

describe("catalog lists", () => {
  beforeAll(async () => {
    // 70 devices: every 3rd from the directory, every 10th gone from it, one tagged "finance"; 30 accounts, one for list-dev-007.
    await db.insert(catalogDevices).values(
      Array.from({ length: 70 }, (_, k) => {
        const i = k + 1;
        return {
          name: `list-dev-${n3(i)}`,
          tags: i === 5 ? ["finance"] : [],
          source: i % 3 === 0 ? ("directory" as const) : ("manual" as const),
          objectGuid: i % 3 === 0 ? randomUUID() : null,
          present: i % 10 !== 0,
        };
      }),
    );
    await db.insert(catalogCredentials).values(
      Array.from({ length: 30 }, (_, k) => ({
        username: `list-adm-${n3(k + 1)}`,
        deviceNames: k + 1 === 7 ? ["list-dev-007"] : [],
        source: "manual" as const,
        present: true,
      })),
    );
  });

  it("devices.page: one page by name with the total (no 500-row cap), removed hidden unless asked, filtered by source", async () => {
    const first = await callerAs(carol).catalog.devices.page({ q: "list-dev", pageSize: 20 });
    expect(first.total).toBe(63);
    expect(first.items.map((d) => d.name).slice(0, 3)).toEqual(["list-dev-001", "list-dev-002", "list-dev-003"]);
    const last = await callerAs(carol).catalog.devices.page({ q: "list-dev", pageSize: 20, page: 4 });
    expect(last.items.map((d) => d.name)).toEqual(["list-dev-067", "list-dev-068", "list-dev-069"]);
    expect((await callerAs(carol).catalog.devices.page({ q: "list-dev", removed: "shown" })).total).toBe(70);
    expect((await callerAs(carol).catalog.devices.page({ q: "list-dev", removed: "only" })).items.map((d) => d.name)).toEqual(
      Array.from({ length: 7 }, (_, i) => `list-dev-0${i + 1}0`),
    );
    expect((await callerAs(carol).catalog.devices.page({ q: "list-dev", source: "directory" })).total).toBe(21);
    expect((await callerAs(carol).catalog.devices.page({ q: "FINANCE" })).items.map((d) => d.name)).toEqual(["list-dev-005"]);
    expect(await codeOf(callerAs(carol).catalog.devices.page({ pageSize: MAX_PAGE_SIZE + 1 }))).toBe("BAD_REQUEST");
    expect((await pageDevices(carol, { pageSize: 10_000 })).pageSize).toBe(MAX_PAGE_SIZE);
  });

  it("credentials.page: pages, searches the account's devices too", async () => {
    const second = await callerAs(carol).catalog.credentials.page({ q: "list-adm", pageSize: 25, page: 2 });
    expect(second).toMatchObject({ total: 30, page: 2 });
    expect(second.items.map((c) => c.username)).toEqual(["list-adm-026", "list-adm-027", "list-adm-028", "list-adm-029", "list-adm-030"]);
    expect((await callerAs(carol).catalog.credentials.page({ q: "list-dev-007" })).items.map((c) => c.username)).toEqual(["list-adm-007"]);
    expect((await callerAs(carol).catalog.credentials.page({ q: "list-adm", source: "directory" })).total).toBe(0);
    expect((await pageCredentials(carol, { q: "list-adm", pageSize: 10_000 })).items).toHaveLength(30);
  });

  it("are for admins only", async () => {
    expect(await codeOf(callerAs(alice).catalog.devices.page({}))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs(alice).catalog.credentials.page({}))).toBe("FORBIDDEN");
    expect(await codeOf(pageDevices(alice, {}))).toBe("FORBIDDEN");
    expect(await codeOf(pageCredentials(alice, {}))).toBe("FORBIDDEN");
  });
});

describe("audit.list free text", () => {
  it("matches the action, the actor or the target, ignoring case, with the cursor paging unchanged", async () => {
    // The drift settings above were changed by carol on P005 and P006: two audited events.
    const bySetting = await callerAs(carol).audit.list({ q: "DRIFT.SETTINGS" });
    expect(bySetting.map((e) => e.targetId).sort()).toEqual([ids[4], ids[5]].sort());
    expect((await callerAs(carol).audit.list({ q: ids[5]! })).map((e) => e.action)).toEqual(["drift.settings_changed"]);
    expect((await callerAs(carol).audit.list({ q: "settings_changed", actor: "carol", limit: 1 })).map((e) => e.targetId)).toEqual([ids[5]]);
    // Words, not LIKE patterns: "%" separates words (as "_" and "." do) and is no wildcard.
    expect((await callerAs(carol).audit.list({ q: "sett%ged" })).length).toBe(0);
    expect(await codeOf(callerAs(carol).audit.list({ q: "x".repeat(101) }))).toBe("BAD_REQUEST");
    expect(await codeOf(callerAs(alice).audit.list({ q: "drift" }))).toBe("FORBIDDEN");
  });
});
