import type { Client } from "ldapts";
import { asc, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { db, sqlClient } from "@/db";
import { auditEvents, catalogCredentials, catalogDevices, grants, requests } from "@/db/schema";
import type { RefusalRule } from "@/server/access-groups/enforcement";
import { setActivation } from "@/server/access-groups/members";
import { approversInput } from "@/server/access-groups/schemas";
import { updateApprovers, updateLimits, updateSettings } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { guidToString } from "@/server/directory/binary";
import { activateGrant } from "@/server/grants/activate";
import { myAccess, previewRequest, submitRequest } from "@/server/requests/service";
import { GEO_IPS } from "@/tests/support/geo-ips";
import {
  actorAt,
  actorFor,
  adAddMember,
  adminClient,
  adRemoveMember,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOuGroup,
  isDirectMember,
  localUser,
  publishNamed,
  resetDatabase,
  TEST_OU,
  trpcHttp,
  waitFor,
  type AccessGroupSpec,
} from "./fixtures";

/*
 * Access groups enforced at request time (issue 3), from the requester's side: what myAccess
 * lists, what previewRequest predicts and what submitRequest accepts, refuses and stores.
 */

const LOCAL = "127.0.0.1";
const PARIS = GEO_IPS.franceIleDeFrance.ip;
const STRASBOURG = GEO_IPS.franceGrandEst.ip;
const BERLIN = GEO_IPS.germanyBerlin.ip;

let ad: Client;
let teamDn: string;
let teamSubDn: string;
let teamGuid: string;
const guid: Record<string, string> = {};

let carol: SessionUser;
let alice: SessionUser;
let bob: SessionUser;
let nobody: SessionUser;
type Privilege = Awaited<ReturnType<typeof publishNamed>>;
let dbAdmins: Privilege;
let dbReaders: Privilege;
let webOps: Privilege;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of ["it-ag-alice", "it-ag-bob", "it-ag-nobody", "it-ag-cred-a", "it-ag-cred-b"]) {
    await ensureAdUser(ad, sam);
    guid[sam] = await directoryGuid(sam);
  }
  for (const cn of ["it-ag-priv-db", "it-ag-priv-rpt", "it-ag-priv-web"]) await ensureAdGroup(ad, cn);
});
beforeEach(async () => {
  await resetDatabase();
  // it-ag-team ⊃ it-ag-team-sub ⊃ it-ag-bob, rebuilt each time (one test takes bob out).
  teamDn = await ensureTestOuGroup(ad, "it-ag-team");
  teamSubDn = await ensureTestOuGroup(ad, "it-ag-team-sub");
  await adAddMember(ad, teamDn, teamSubDn);
  await adAddMember(ad, teamSubDn, `CN=it-ag-bob,${TEST_OU}`);
  const { searchEntries } = await ad.search(teamDn, { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] });
  teamGuid = guidToString(searchEntries[0]!.objectGUID as Buffer);
  carol = await localUser("carol", true);
  alice = await localUser("it-ag-alice");
  bob = await localUser("it-ag-bob");
  nobody = await localUser("it-ag-nobody");
  dbAdmins = await publishNamed(carol, "it-ag-priv-db", "DB Admins", ["db", "prod"]);
  dbReaders = await publishNamed(carol, "it-ag-priv-rpt", "DB Readers", ["db"]);
  webOps = await publishNamed(carol, "it-ag-priv-web", "Web Operators", ["web"]);
});
afterAll(async () => {
  await ad.unbind();
});

/** An access group that lets its members in as soon as they are seen, unless the spec says otherwise. */
function accessGroup(spec: AccessGroupSpec) {
  return configuredAccessGroup(carol, { ...spec, settings: { autoGrantOnProvisioning: true, ...spec.settings } });
}

const submit = (u: SessionUser, input: Parameters<typeof submitRequest>[2], ip = LOCAL) => submitRequest(u, actorAt(u, ip), input);
const preview = (u: SessionUser, privilegeId: string, durationMinutes = 5, ip = LOCAL, credentialId: string | null = null) =>
  previewRequest(u, actorAt(u, ip), { privilegeId, credentialId, durationMinutes });
const visible = async (u: SessionUser, ip = LOCAL) => (await myAccess(u, actorAt(u, ip))).privileges.map((p) => p.privilege.name);

/** A refused submit: FORBIDDEN naming the rule, and a request.refused audit row with that rule. */
async function expectRefused(attempt: Promise<unknown>, rule: RefusalRule, reason?: RegExp) {
  const err: unknown = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(new RegExp(`^Refused \\(${rule}\\): `)) });
  if (reason) expect((err as Error).message).toMatch(reason);
  const [last] = await db.select().from(auditEvents).where(eq(auditEvents.action, "request.refused")).orderBy(desc(auditEvents.seq)).limit(1);
  expect(last?.data).toMatchObject({ rule });
  return last!;
}

async function requestRow(id: string) {
  const [row] = await db.select().from(requests).where(eq(requests.id, id));
  return row!;
}

async function grantOf(requestId: string) {
  return db.select().from(grants).where(eq(grants.requestId, requestId));
}

/** HH:MM of an instant in UTC. */
const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const MINUTE = 60_000;
const floorMinute = (t: number) => new Date(Math.floor(t / MINUTE) * MINUTE);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const isoWeekday = (d: Date) => ((d.getUTCDay() + 6) % 7) + 1;

describe("membership", () => {
  it("someone in no access group sees nothing and is refused for membership, audited", async () => {
    await accessGroup({ name: "it-ag Ops", members: [guid["it-ag-alice"]!] });
    expect(await myAccess(nobody, actorFor(nobody))).toMatchObject({ memberships: [], privileges: [], credentials: [], location: "unknown" });

    const refused = await expectRefused(submit(nobody, { privilegeId: dbAdmins.id, durationMinutes: 5 }), "membership", /You are not in any access group/);
    expect(refused).toMatchObject({
      actorName: "it-ag-nobody",
      targetType: "privilege",
      targetId: dbAdmins.id,
      ip: LOCAL,
      data: { privilege: "DB Admins", location: "unknown" },
    });
    expect(await db.select().from(requests)).toEqual([]);
  });

  it("a listed member sees exactly the privileges whose names match, and can request only those", async () => {
    const g = await accessGroup({ name: "it-ag Ops", criteria: { privilegeNames: ["db *"] }, members: [guid["it-ag-alice"]!] });
    const access = await myAccess(alice, actorFor(alice));
    expect(access.memberships).toEqual([{ id: g.id, name: "it-ag Ops", enabled: true, state: "active", via: ["listed"] }]);
    expect(access.privileges.map((p) => [p.privilege.name, p.verdict.ok])).toEqual([
      ["DB Admins", true],
      ["DB Readers", true],
    ]);

    await expectRefused(submit(alice, { privilegeId: webOps.id, durationMinutes: 5 }), "criteria", /None of your access groups allows "Web Operators"/);
    const ok = await submit(alice, { privilegeId: dbReaders.id, durationMinutes: 5 });
    expect(ok).toMatchObject({ status: "approved", accessGroup: "it-ag Ops", grantId: expect.any(String) });
    expect(await requestRow(ok.requestId)).toMatchObject({ accessGroupId: g.id, status: "approved", targetDn: alice.dn, clientIp: LOCAL });
    expect(await grantOf(ok.requestId)).toEqual([expect.objectContaining({ id: ok.grantId, memberGuid: guid["it-ag-alice"], state: "pending" })]);
  });

  it("tag patterns select by any one of a privilege's tags", async () => {
    await accessGroup({ name: "it-ag Prod", criteria: { privilegeTags: ["pro*"] }, members: [guid["it-ag-alice"]!] });
    expect(await visible(alice)).toEqual(["DB Admins"]);
    await expectRefused(submit(alice, { privilegeId: dbReaders.id, durationMinutes: 5 }), "criteria");
    expect((await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 })).status).toBe("approved");
  });

  it("a member through a nested AD group is recognized, and loses access as soon as AD drops them", async () => {
    await accessGroup({ name: "it-ag Team", criteria: { privilegeNames: ["DB*"] }, members: [teamGuid] });
    const access = await myAccess(bob, actorFor(bob));
    expect(access.memberships).toEqual([expect.objectContaining({ name: "it-ag Team", state: "active", via: ["it-ag-team"] })]);
    expect(access.privileges.map((p) => p.privilege.name)).toEqual(["DB Admins", "DB Readers"]);
    expect(await preview(bob, dbAdmins.id)).toMatchObject({ ok: true, group: "it-ag Team" });
    // Alice is not in the AD group: the same access group gives her nothing.
    expect(await visible(alice)).toEqual([]);

    await adRemoveMember(ad, teamSubDn, `CN=it-ag-bob,${TEST_OU}`);
    expect(await visible(bob)).toEqual([]);
    await expectRefused(submit(bob, { privilegeId: dbAdmins.id, durationMinutes: 5 }), "membership", /not in any access group/);
  });

  it("without automatic access a new member waits for an admin, who can activate and suspend them", async () => {
    const g = await configuredAccessGroup(carol, { name: "it-ag Gated", members: [guid["it-ag-alice"]!] });
    const first = await myAccess(alice, actorFor(alice));
    expect(first.memberships).toEqual([expect.objectContaining({ name: "it-ag Gated", state: "pending" })]);
    expect(first.privileges).toEqual([]);
    await myAccess(alice, actorFor(alice));
    // First sight is recorded once, by the system.
    const seen = await db.select().from(auditEvents).where(eq(auditEvents.action, "access_group.activation_changed")).orderBy(asc(auditEvents.seq));
    expect(seen.map((e) => ({ actor: e.actorType, target: e.targetId, ...e.data }))).toEqual([
      {
        actor: "system",
        target: g.id,
        group: "it-ag Gated",
        username: "it-ag-alice",
        userGuid: guid["it-ag-alice"],
        before: null,
        after: "pending",
        source: "provisioned",
      },
    ]);
    await expectRefused(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }), "membership", /it-ag Gated waits for an administrator to activate it/);

    await setActivation(carol, actorFor(carol), g.id, guid["it-ag-alice"]!, "active");
    expect(await visible(alice)).toHaveLength(3);
    expect((await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 })).status).toBe("approved");

    await setActivation(carol, actorFor(carol), g.id, guid["it-ag-alice"]!, "suspended");
    expect(await visible(alice)).toEqual([]);
    expect(await preview(alice, dbReaders.id)).toMatchObject({ ok: false, rule: "membership" });
    await expectRefused(submit(alice, { privilegeId: dbReaders.id, durationMinutes: 5 }), "membership", /it-ag Gated is suspended/);
  });

  it("disabling a group refuses its requests and hides its privileges at once", async () => {
    const g = await accessGroup({ name: "it-ag Ops", members: [guid["it-ag-alice"]!] });
    expect(await visible(alice)).toEqual(["DB Admins", "DB Readers", "Web Operators"]);
    await updateSettings(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      name: g.name,
      description: "",
      enabled: false,
      timeZone: "UTC",
      settings: g.settings,
    });

    const access = await myAccess(alice, actorFor(alice));
    expect(access.privileges).toEqual([]);
    expect(access.memberships).toEqual([expect.objectContaining({ name: "it-ag Ops", enabled: false, state: "active" })]);
    await expectRefused(
      submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }),
      "disabled",
      /The access group it-ag Ops that allows "DB Admins" is disabled/,
    );
  });
});

describe("required request fields", () => {
  const cases = [
    {
      field: "justification",
      setting: "requiresJustification",
      column: "justification",
      value: "Restore the reporting database",
      message: /requires a justification/,
    },
    { field: "changeId", setting: "requiresChangeId", column: "changeId", value: "CHG-20417", message: /requires a change ID/ },
    {
      field: "governanceCode",
      setting: "requiresGovernanceCode",
      column: "governanceCode",
      value: "ITSM-4411",
      message: /requires a governance \(ITSM\) code/,
    },
  ] as const;
  it.each(cases)("a group requiring $field refuses a request without it and stores it when given", async ({ field, setting, column, value, message }) => {
    await accessGroup({ name: "it-ag Fields", settings: { [setting]: true }, members: [guid["it-ag-alice"]!] });
    expect(await preview(alice, dbAdmins.id)).toMatchObject({ ok: true, requiredFields: [field] });

    const missing = { code: "BAD_REQUEST", message: expect.stringMatching(message) };
    await expect(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 })).rejects.toMatchObject(missing);
    await expect(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5, [field]: "   " })).rejects.toMatchObject(missing);
    expect(await db.select().from(requests)).toEqual([]);

    // The other two fields are not asked for.
    const ok = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5, [field]: value });
    expect(ok.status).toBe("approved");
    expect((await requestRow(ok.requestId))[column]).toBe(value);
  });
});

describe("approval", () => {
  it("a group requiring approval leaves the request pending without a grant, and refuses a second one", async () => {
    const g = await accessGroup({ name: "it-ag Approve", settings: { requiresApproval: true }, members: [guid["it-ag-alice"]!] });
    await updateApprovers(
      carol,
      actorFor(carol),
      approversInput.parse({ id: g.id, version: g.version, approvers: [{ userGuid: await directoryGuid("carol"), level: 1 }], levels: [] }),
    );
    expect(await preview(alice, dbAdmins.id)).toMatchObject({ ok: true, requiresApproval: true });

    const r = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 });
    expect(r).toEqual({ requestId: expect.any(String), grantId: null, status: "pending", accessGroup: "it-ag Approve" });
    expect(await requestRow(r.requestId)).toMatchObject({ status: "pending", decidedAt: null, accessGroupId: g.id });
    expect(await db.select().from(grants)).toEqual([]);
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "request.approved"))).toEqual([]);

    await expect(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 10 })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/waiting for approval/),
    });
    expect(await db.select().from(requests)).toHaveLength(1);
  });

  it("a request checked against a policy an admin changed meanwhile is refused with CONFLICT", async () => {
    const g = await accessGroup({ name: "it-ag Racing", members: [guid["it-ag-alice"]!] });
    expect(await visible(alice)).toContain(dbAdmins.name); // first sight recorded before the race
    const admin = await sqlClient().reserve();
    try {
      await admin`begin`;
      await admin`select id from access_groups where id = ${g.id} for update`;
      const outcome = submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }).then(
        () => "granted",
        (err: unknown) => err,
      );
      // The submit has checked the policy and now waits for the group row inside its transaction.
      await waitFor("submit waiting on the group row", async () => {
        const [row] = await db.execute<{ n: number }>(
          sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%from "access_groups"%'`,
        );
        return (row?.n ?? 0) > 0;
      });
      await admin`update access_groups set version = version + 1, enabled = false where id = ${g.id}`;
      await admin`commit`;
      expect(await outcome).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/changed while your request was checked/) });
      expect(await db.select().from(requests)).toEqual([]);
    } finally {
      await admin`rollback`.catch(() => {});
      admin.release();
    }
  });

  it("a group that requires approval but has no approvers refuses instead of leaving the request stuck", async () => {
    await accessGroup({ name: "it-ag Nobody approves", settings: { requiresApproval: true }, members: [guid["it-ag-alice"]!] });
    await expect(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/Refused \(approval\).*no approvers/),
    });
    expect(await db.select().from(requests)).toEqual([]);
    const [refused] = await db.select().from(auditEvents).where(eq(auditEvents.action, "request.refused"));
    expect(refused?.data).toMatchObject({ rule: "approval" });
  });
});

describe("emergency access", () => {
  it("is refused where no group allows it, and where one does it skips approval but needs a justification", async () => {
    await accessGroup({ name: "it-ag Plain", settings: { requiresApproval: true }, members: [guid["it-ag-alice"]!] });
    await expect(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5, justification: "outage", emergency: true })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/Refused \(emergency\).*does not allow emergency access/),
    });
    expect(await db.select().from(requests)).toEqual([]);

    await accessGroup({ name: "it-ag Break glass", settings: { requiresApproval: true, allowsEmergencyAccess: true }, members: [guid["it-ag-alice"]!] });
    expect(
      await previewRequest(alice, actorAt(alice, LOCAL), { privilegeId: dbAdmins.id, credentialId: null, durationMinutes: 5, emergency: true }),
    ).toMatchObject({ ok: true, group: "it-ag Break glass", requiresApproval: false, emergency: true, requiredFields: ["justification"] });
    await expect(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5, emergency: true })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/requires a justification/),
    });

    const r = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5, justification: "database down", emergency: true });
    expect(r).toMatchObject({ status: "approved", grantId: expect.any(String), accessGroup: "it-ag Break glass" });
    expect(await requestRow(r.requestId)).toMatchObject({ emergency: true, status: "approved" });
    const [submitted] = await db.select().from(auditEvents).where(eq(auditEvents.action, "request.submitted"));
    expect(submitted?.data).toMatchObject({ emergency: true, awaitingApproval: false });
  });
});

describe("limits", () => {
  it("a window that closed an hour ago refuses with the hours rule", async () => {
    const now = Date.now();
    const window = { start: hhmm(new Date(now - 3 * 60 * MINUTE)), end: hhmm(new Date(now - 60 * MINUTE)) };
    await accessGroup({ name: "it-ag Hours", limits: { windows: [window] }, members: [guid["it-ag-alice"]!] });
    expect(await preview(alice, dbAdmins.id)).toMatchObject({ ok: false, rule: "hours", nextWindowStartsAt: expect.any(Date) });
    await expectRefused(
      submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }),
      "hours",
      new RegExp(`Outside the allowed hours ${window.start}–${window.end} \\(UTC\\)`),
    );
    // Criteria still list it: the page shows why it cannot be requested right now.
    const listed = (await myAccess(alice, actorFor(alice))).privileges.find((p) => p.privilege.id === dbAdmins.id);
    expect(listed?.verdict).toMatchObject({ ok: false, rule: "hours" });
  });

  it("a window that closes in ten minutes clips a one-hour request to its end", async () => {
    const now = Date.now();
    const windowEnd = floorMinute(now + 10 * MINUTE);
    await accessGroup({
      name: "it-ag Hours",
      limits: { windows: [{ start: hhmm(new Date(now - 60 * MINUTE)), end: hhmm(windowEnd) }] },
      members: [guid["it-ag-alice"]!],
    });
    expect(await preview(alice, dbAdmins.id, 60)).toMatchObject({ ok: true, clipped: true, windowEndsAt: windowEnd, endsAt: windowEnd });
    expect(await preview(alice, dbAdmins.id, 5)).toMatchObject({ ok: true, clipped: false, windowEndsAt: windowEnd });

    const r = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 60 });
    expect(await requestRow(r.requestId)).toMatchObject({ durationMinutes: 60, windowEndsAt: windowEnd });
    expect(await grantOf(r.requestId)).toEqual([expect.objectContaining({ durationSeconds: 3600, notAfter: windowEnd })]);
  });

  it("a grant whose window closed before the worker reached it is never put into AD", async () => {
    const now = Date.now();
    await accessGroup({
      name: "it-ag Late",
      limits: { windows: [{ start: hhmm(new Date(now - 60 * MINUTE)), end: hhmm(floorMinute(now + 10 * MINUTE)) }] },
      members: [guid["it-ag-alice"]!],
    });
    const r = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 60 });
    const [grant] = await grantOf(r.requestId);
    // The worker (or the DC) was down until after the window closed.
    await db
      .update(grants)
      .set({ notAfter: new Date(Date.now() - 1000) })
      .where(eq(grants.id, grant!.id));
    expect(await activateGrant(grant!.id)).toBe("cancelled");
    expect(await grantOf(r.requestId)).toEqual([
      expect.objectContaining({ state: "revoked", activatedAt: null, lastError: expect.stringMatching(/window closed/) }),
    ]);
    expect(await isDirectMember(dbAdmins.groupDn, alice.dn)).toBe(false);
    const cancelled = await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.cancelled"));
    expect(cancelled.map((e) => e.targetId)).toEqual([grant!.id]);
  });

  it("a validity period that ended refuses with the validTo rule", async () => {
    const twoDaysAgo = isoDay(new Date(Date.now() - 2 * 24 * 60 * MINUTE));
    await accessGroup({ name: "it-ag Expired", limits: { validTo: twoDaysAgo }, members: [guid["it-ag-alice"]!] });
    await expectRefused(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }), "validTo", new RegExp(`ended on ${twoDaysAgo}`));
  });

  it("days of the week that exclude today refuse with the daysOfWeek rule", async () => {
    // Today and tomorrow both excluded, so a test running across midnight still means what it says.
    const today = isoWeekday(new Date());
    const tomorrow = (today % 7) + 1;
    const days = [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== today && d !== tomorrow);
    await accessGroup({ name: "it-ag Weekdays", limits: { daysOfWeek: days }, members: [guid["it-ag-alice"]!] });
    await expectRefused(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }), "daysOfWeek", /Not allowed on \w+day; allowed days are/);
  });
});

describe("locations", () => {
  it("a group restricted to France admits Paris and refuses Berlin and unknown addresses", async () => {
    await accessGroup({ name: "it-ag France", locations: { restrict: true, allowed: [{ country: "FR" }] }, members: [guid["it-ag-alice"]!] });

    const berlin = await expectRefused(
      submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }, BERLIN),
      "location",
      /Access from DE-BE is not allowed; allowed locations: FR/,
    );
    expect(berlin).toMatchObject({ ip: BERLIN, data: { location: "DE-BE" } });
    const local = await expectRefused(submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }, LOCAL), "location", /location could not be determined/);
    expect(local.data).toMatchObject({ location: "unknown" });
    expect(await db.select().from(requests)).toEqual([]);

    expect((await myAccess(alice, actorAt(alice, PARIS))).location).toBe("FR-IDF");
    const ok = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }, PARIS);
    expect(await requestRow(ok.requestId)).toMatchObject({ status: "approved", locationCountry: "FR", locationRegion: "FR-IDF", clientIp: PARIS });
  });

  it("a region entry admits that region only", async () => {
    await accessGroup({ name: "it-ag Paris", locations: { restrict: true, allowed: [{ country: "FR", region: "FR-IDF" }] }, members: [guid["it-ag-alice"]!] });
    expect(await preview(alice, dbAdmins.id, 5, PARIS)).toMatchObject({ ok: true, location: "FR-IDF" });
    expect(await preview(alice, dbAdmins.id, 5, STRASBOURG)).toMatchObject({ ok: false, rule: "location", location: "FR-GES" });
    await expectRefused(
      submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }, STRASBOURG),
      "location",
      /Access from FR-GES is not allowed; allowed locations: FR-IDF/,
    );
    expect((await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 }, PARIS)).status).toBe("approved");
  });
});

describe("overlapping groups", () => {
  async function twoGroups() {
    const carolGuid = await directoryGuid("carol");
    const gated = await accessGroup({
      name: "it-ag A approval",
      settings: { requiresApproval: true, approvalInLevels: true },
      members: [guid["it-ag-alice"]!],
    });
    await updateApprovers(
      carol,
      actorFor(carol),
      approversInput.parse({
        id: gated.id,
        version: gated.version,
        approvers: [
          { userGuid: carolGuid, level: 1 },
          { userGuid: guid["it-ag-bob"], level: 2 },
        ],
        levels: [{ level: 1, requiredApprovals: 1 }],
      }),
    );
    // Named after the gated group, so a name-order choice would pick the gated one.
    const open = await accessGroup({ name: "it-ag B open", criteria: { privilegeNames: ["DB *"] }, members: [guid["it-ag-alice"]!] });
    return { gated: { ...gated, version: gated.version + 1 }, open, carolGuid };
  }

  it("a request binds to the group that asks least (no approval) and freezes that group's policy", async () => {
    const { open } = await twoGroups();
    const r = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 });
    expect(r).toMatchObject({ status: "approved", accessGroup: "it-ag B open" });
    const row = await requestRow(r.requestId);
    expect(row.accessGroupId).toBe(open.id);
    expect(row.policy).toMatchObject({
      group: { id: open.id, name: "it-ag B open", settings: { requiresApproval: false } },
      levels: [],
      approvers: [],
      checkedAt: expect.any(String),
    });
    // Only the gated group allows Web Operators: that request waits for approval.
    expect(await preview(alice, webOps.id)).toMatchObject({ ok: true, group: "it-ag A approval", requiresApproval: true });
  });

  it("when the open group is closed by its limits, the gated group binds, with its approvers frozen on the request", async () => {
    const { gated, open, carolGuid } = await twoGroups();
    await updateLimits(carol, actorFor(carol), {
      id: open.id,
      version: open.version,
      limits: { validFrom: null, validTo: isoDay(new Date(Date.now() - 2 * 24 * 60 * MINUTE)), daysOfWeek: [], windows: [] },
    });

    const r = await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 });
    expect(r).toMatchObject({ status: "pending", grantId: null, accessGroup: "it-ag A approval" });
    const row = await requestRow(r.requestId);
    expect(row.accessGroupId).toBe(gated.id);
    expect(row.policy).toEqual({
      group: expect.objectContaining({
        id: gated.id,
        name: "it-ag A approval",
        settings: expect.objectContaining({ requiresApproval: true, approvalInLevels: true }),
      }),
      levels: [
        { level: 1, requiredApprovals: 1 },
        { level: 2, requiredApprovals: 1 },
      ],
      approvers: [
        { userGuid: carolGuid, username: "carol", displayName: expect.any(String), level: 1 },
        { userGuid: guid["it-ag-bob"], username: "it-ag-bob", displayName: expect.any(String), level: 2 },
      ],
      checkedAt: expect.any(String),
    });

    // Later edits of the group leave the request's frozen policy alone.
    await updateApprovers(
      carol,
      actorFor(carol),
      approversInput.parse({ id: gated.id, version: gated.version, approvers: [{ userGuid: guid["it-ag-nobody"], level: 1 }], levels: [] }),
    );
    expect((await requestRow(r.requestId)).policy).toEqual(row.policy);
  });
});

describe("privileged accounts from the catalog", () => {
  async function credentials() {
    const row = async (sam: string) => {
      const [c] = await db
        .insert(catalogCredentials)
        .values({ username: sam, type: "domain", source: "directory", objectGuid: guid[sam], dn: `CN=${sam},${TEST_OU}`, present: true })
        .returning();
      return c!;
    };
    const a = await row("it-ag-cred-a");
    const b = await row("it-ag-cred-b");
    const [manual] = await db.insert(catalogCredentials).values({ username: "it-ag-cred-manual", type: "local", source: "manual" }).returning();
    return { a, b, manual: manual! };
  }

  it("a matching directory account is offered and elevated instead of the requester; others are refused", async () => {
    const { a, b, manual } = await credentials();
    await accessGroup({
      name: "it-ag Accounts",
      criteria: { privilegeNames: ["DB *"], credentialUsernames: ["it-ag-cred-a", "*-manual"] },
      members: [guid["it-ag-alice"]!],
    });

    const access = await myAccess(alice, actorFor(alice));
    const accounts = access.privileges.find((p) => p.privilege.id === dbAdmins.id)?.accounts.map((x) => x.username);
    expect(accounts).toContain("it-ag-cred-a");
    expect(accounts).not.toContain("it-ag-cred-b");
    expect(await preview(alice, dbAdmins.id, 5, LOCAL, a.id)).toMatchObject({ ok: true });

    const r = await submit(alice, { privilegeId: dbAdmins.id, credentialId: a.id, durationMinutes: 5 });
    expect(await requestRow(r.requestId)).toMatchObject({ credentialId: a.id, targetDn: a.dn, requesterId: alice.id });
    expect(await grantOf(r.requestId)).toEqual([expect.objectContaining({ memberGuid: guid["it-ag-cred-a"], memberDn: a.dn, userId: alice.id })]);

    await expectRefused(submit(alice, { privilegeId: dbAdmins.id, credentialId: b.id, durationMinutes: 5 }), "criteria", /for the account it-ag-cred-b/);
    await expectRefused(submit(alice, { privilegeId: webOps.id, credentialId: a.id, durationMinutes: 5 }), "criteria");
    // A manual entry has no directory object to put in the group, even when the criteria match it.
    await expect(submit(alice, { privilegeId: dbAdmins.id, credentialId: manual.id, durationMinutes: 5 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/manual catalog entry/),
    });
    // Her own account is a different member: it may hold the same privilege at the same time.
    expect((await submit(alice, { privilegeId: dbAdmins.id, durationMinutes: 5 })).status).toBe("approved");
  });
});

describe("device criteria", () => {
  it("select the privileged accounts whose devices match, read from the catalog's devices", async () => {
    await db.insert(catalogDevices).values([
      { name: "it-ag-sql", model: "Windows Server 2022", type: "server", tags: ["prod"], source: "manual" },
      { name: "it-ag-lab", model: "Windows Server 2022", type: "server", tags: ["lab"], source: "manual" },
    ]);
    const cred = async (sam: string, device: string) =>
      (
        await db
          .insert(catalogCredentials)
          .values({ username: sam, type: "domain", source: "directory", objectGuid: guid[sam], dn: `CN=${sam},${TEST_OU}`, deviceNames: [device] })
          .returning()
      )[0]!;
    const onProd = await cred("it-ag-cred-a", "IT-AG-SQL"); // device names match regardless of case, as in AD
    const onLab = await cred("it-ag-cred-b", "it-ag-lab");
    await accessGroup({ name: "it-ag Prod servers", criteria: { privilegeNames: ["DB *"], deviceTags: ["prod"] }, members: [guid["it-ag-alice"]!] });

    const accounts = (await myAccess(alice, actorFor(alice))).privileges.find((p) => p.privilege.id === dbAdmins.id)?.accounts.map((x) => x.username);
    expect(accounts).toEqual(["it-ag-cred-a"]);
    expect((await submit(alice, { privilegeId: dbAdmins.id, credentialId: onProd.id, durationMinutes: 5 })).status).toBe("approved");
    await expectRefused(submit(alice, { privilegeId: dbAdmins.id, credentialId: onLab.id, durationMinutes: 5 }), "criteria");
  });
});

describe("input", () => {
  it("a request with a field the form does not send is refused before anything is checked", async () => {
    await accessGroup({ name: "it-ag Ops", members: [guid["it-ag-alice"]!] });
    // A client trying to choose whom the grant is for.
    const input = { privilegeId: dbAdmins.id, durationMinutes: 5, targetDn: "CN=Administrator,CN=Users,DC=interim,DC=test" };
    const err: unknown = await submitRequest(alice, actorFor(alice), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZodError);
    expect((err as ZodError).issues).toEqual([expect.objectContaining({ code: "unrecognized_keys", keys: ["targetDn"] })]);

    const viaHttp = await trpcHttp(alice, "requests.submit", input);
    expect(viaHttp).toMatchObject({ ok: false, code: "BAD_REQUEST", message: expect.stringMatching(/targetDn/) });
    expect(await db.select().from(requests)).toEqual([]);
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "request.refused"))).toEqual([]);
  });
});
