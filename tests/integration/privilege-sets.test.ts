import type { Client } from "ldapts";
import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, catalogCredentials, grants, notificationDeliveries, requests } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import { decide, inbox } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { findUser } from "@/server/directory/service";
import { extendGrant } from "@/server/grants/extend";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { MAX_ACTIVATION_ATTEMPTS } from "@/server/grants/timing";
import { endGrant } from "@/server/grants/service";
import { dispatchEvents } from "@/server/notifications/dispatch";
import { finishSetRollback } from "@/server/privilege-sets/rollback";
import { createPrivilegeSet, updatePrivilegeSet } from "@/server/privilege-sets/service";
import { updatePrivilege } from "@/server/privileges/service";
import { listMyRequests } from "@/server/requests/mine";
import { myAccess, submitRequest } from "@/server/requests/service";
import { requestTimeline } from "@/server/requests/timeline";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  isDirectMember,
  localUser,
  openAccessGroup,
  publishNamed,
  resetDatabase,
  TEST_OU,
  trpcHttp,
} from "./fixtures";

/*
 * Privilege sets on the real DC: one request grants every privilege of the set (one grant each,
 * one approval); a grant that fails for good takes its siblings' memberships back, including a
 * sibling that lands after the failure; the set's accounts and the binding access group decide who
 * may use it; only admins manage sets.
 */

const GROUPS = { one: "IT Set One", two: "IT Set Two", three: "IT Set Three", gone: "IT Set Gone" } as const;
let ad: Client;
let carol: SessionUser;
let requester: SessionUser;
let other: SessionUser;
let adm: typeof catalogCredentials.$inferSelect;
let stranger: typeof catalogCredentials.$inferSelect;
const dn: Record<keyof typeof GROUPS, string> = {} as never;
const privilege: Record<keyof typeof GROUPS, { id: string; name: string }> = {} as never;

async function directoryCredential(sam: string) {
  const person = await findUser(sam);
  const [row] = await db
    .insert(catalogCredentials)
    .values({ username: sam, type: "domain", source: "directory", objectGuid: person!.objectGuid, dn: person!.dn })
    .returning();
  return row!;
}

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of ["it-set-req", "it-set-other", "it-set-adm", "it-set-stranger"]) await ensureAdUser(ad, sam);
  for (const key of ["one", "two", "three"] as const) dn[key] = await ensureAdGroup(ad, GROUPS[key]);
});
beforeEach(async () => {
  await resetDatabase();
  for (const key of ["one", "two", "three"] as const) await ensureAdGroup(ad, GROUPS[key]);
  carol = await localUser("carol", true);
  requester = await localUser("it-set-req");
  other = await localUser("it-set-other");
  for (const key of ["one", "two", "three"] as const) privilege[key] = await publishNamed(carol, GROUPS[key], `Set ${key}`);
  adm = await directoryCredential("it-set-adm");
  stranger = await directoryCredential("it-set-stranger");
});
afterAll(async () => {
  await ad.unbind();
});

const ADM_DN = `CN=it-set-adm,${TEST_OU}`;

async function makeSet(keys: (keyof typeof GROUPS)[], opts: { name?: string; allowOwnAccount?: boolean } = {}) {
  return createPrivilegeSet(carol, actorFor(carol), {
    name: opts.name ?? "Tier-1 operations",
    description: "integration test set",
    privilegeIds: keys.map((k) => privilege[k].id),
    credentialIds: [adm.id],
    allowOwnAccount: opts.allowOwnAccount ?? false,
  });
}

const askForSet = (who: SessionUser, privilegeSetId: string, credentialId: string | null = adm.id, durationMinutes = 5) =>
  submitRequest(who, actorFor(who), { privilegeSetId, credentialId, durationMinutes, justification: "set test" });

/** A set request the open access group grants at once. */
async function grantedSet(who: SessionUser, privilegeSetId: string) {
  const r = await askForSet(who, privilegeSetId);
  if (r.status !== "approved") throw new Error("expected the set to be granted without approval");
  return r;
}

const grantsOf = (requestId: string) => db.select().from(grants).where(eq(grants.requestId, requestId)).orderBy(asc(grants.createdAt));

async function audit(action: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(asc(auditEvents.seq));
}

/** Runs the grant's activation until it gives up (each earlier attempt fails and is retried). */
async function failForGood(grantId: string) {
  for (let attempt = 1; attempt <= MAX_ACTIVATION_ATTEMPTS; attempt++) {
    const outcome = await activateGrant(grantId).catch(() => "retry" as const);
    if (outcome !== "retry") return outcome;
  }
  throw new Error("the activation never gave up");
}

/** A published privilege whose AD group is then deleted: its activation can only fail. */
async function doomedPrivilege() {
  dn.gone = await ensureAdGroup(ad, GROUPS.gone);
  privilege.gone = await publishNamed(carol, GROUPS.gone, "Set gone");
  return async () => ad.del(dn.gone);
}

describe("a set request", () => {
  it("is one request that puts the account into every group of the set", async () => {
    await openAccessGroup(carol, [requester]);
    const set = await makeSet(["one", "two", "three"]);
    const r = await grantedSet(requester, set.id);
    expect(r.grantIds).toHaveLength(3);

    const [row] = await db.select().from(requests).where(eq(requests.id, r.requestId));
    expect(row).toMatchObject({ privilegeSetId: set.id, credentialId: adm.id, targetDn: ADM_DN, status: "approved" });
    expect(row!.setPrivilegeIds!.sort()).toEqual([privilege.one.id, privilege.two.id, privilege.three.id].sort());
    expect(await db.$count(requests)).toBe(1);
    const created = await grantsOf(r.requestId);
    expect(created.map((g) => g.privilegeId).sort()).toEqual(row!.setPrivilegeIds!.sort());
    expect(created.every((g) => g.memberDn.toLowerCase() === ADM_DN.toLowerCase() && g.state === "pending")).toBe(true);

    for (const id of r.grantIds) expect(await activateGrant(id)).toBe("activated");
    for (const key of ["one", "two", "three"] as const) expect(await isDirectMember(dn[key], ADM_DN)).toBe(true);

    const submitted = (await audit("request.submitted"))[0]!;
    expect(submitted.data).toMatchObject({
      privilege: "Tier-1 operations",
      privilegeSetId: set.id,
      privileges: ["Set one", "Set three", "Set two"],
      credential: "it-set-adm",
    });
    expect((await audit("request.approved"))[0]!.data).toMatchObject({ automatic: true, grantIds: r.grantIds });

    // My access: one row for the set, its grants inside; the timeline names each grant's privilege.
    const { live: mine } = await listMyRequests(requester);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ privilege: "Tier-1 operations", privilegeSet: "Tier-1 operations", grantState: "active", allowExtension: false });
    expect(mine[0]!.setGrants.map((g) => [g.privilege, g.state])).toEqual([
      ["Set one", "active"],
      ["Set three", "active"],
      ["Set two", "active"],
    ]);
    const labels = (await requestTimeline(requester, r.requestId)).steps.map((s) => s.label);
    expect(labels).toEqual(expect.arrayContaining(["Set one: Active", "Set two: Active", "Set three: Active"]));

    // One notification stream: the request names the set; each grant's message names its privilege and the set.
    await dispatchEvents({
      smtpUrl: "smtp://127.0.0.1:9",
      from: "Interim <interim@interim.test>",
      webhookTimeoutMs: 1_000,
      webhookAllow: [],
      maxAttempts: 1,
    });
    const subjects = (
      await db
        .select({ message: notificationDeliveries.message })
        .from(notificationDeliveries)
        .where(eq(notificationDeliveries.recipient, "it-set-req@interim.test"))
    ).map((d) => (d.message as { subject: string }).subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        "[Interim] Your request for the privilege set Tier-1 operations (Set one, Set three, Set two) (5 min) was submitted",
        expect.stringMatching(/^\[Interim\] Your access to Set two \(privilege set Tier-1 operations\) is active until/),
      ]),
    );
    expect(subjects.filter((s) => s.includes("is active"))).toHaveLength(3);
  });

  it("is ended as a whole: ending one grant takes every membership back; extending it is refused", async () => {
    await openAccessGroup(carol, [requester]);
    const set = await makeSet(["one", "two"]);
    const r = await grantedSet(requester, set.id);
    for (const id of r.grantIds) await activateGrant(id);

    await expect(extendGrant(requester, actorFor(requester), { grantId: r.grantIds[0]!, minutes: 5 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/privilege set cannot be extended/),
    });

    await endGrant(requester, actorFor(requester), r.grantIds[1]!, "ended_early");
    for (const id of r.grantIds) expect(await grantRow(id)).toMatchObject({ end_reason: "ended_early" });
    expect((await sweepExpired()).removed).toBe(2);
    expect(await isDirectMember(dn.one, ADM_DN)).toBe(false);
    expect(await isDirectMember(dn.two, ADM_DN)).toBe(false);
    for (const id of r.grantIds) expect((await grantRow(id)).state).toBe("revoked");
  });

  it("waits for one approval, shows the set and its privileges in the inbox, and the approval creates every grant", async () => {
    const group = await configuredAccessGroup(carol, {
      name: "it-set Approved",
      settings: { requiresApproval: true, autoGrantOnProvisioning: true },
      members: [await directoryGuid("it-set-req")],
    });
    await updateApprovers(carol, actorFor(carol), {
      id: group.id,
      version: group.version,
      approvers: [{ userGuid: await directoryGuid("it-set-other"), level: 1 }],
      levels: [],
    });
    const set = await makeSet(["one", "two", "three"]);
    const r = await askForSet(requester, set.id);
    expect(r).toMatchObject({ status: "pending", grantId: null });
    expect(await grantsOf(r.requestId)).toEqual([]);

    const [item] = await inbox(other);
    expect(item).toMatchObject({
      requestId: r.requestId,
      privilegeSet: "Tier-1 operations",
      setPrivileges: ["Set one", "Set three", "Set two"],
      account: "it-set-adm",
    });

    // Asking again for an overlapping privilege while the set waits is refused.
    await expect(
      submitRequest(requester, actorFor(requester), { privilegeId: privilege.two.id, credentialId: adm.id, durationMinutes: 5 }),
    ).rejects.toMatchObject({ code: "CONFLICT" });

    const decided = await decide(other, actorFor(other), { requestId: r.requestId, decision: "approve" });
    expect(decided.status).toBe("approved");
    const created = await grantsOf(r.requestId);
    expect(created).toHaveLength(3);
    expect((await audit("request.approved"))[0]!.data).toMatchObject({ automatic: false, grantIds: expect.arrayContaining(created.map((g) => g.id)) });
  });
});

describe("who may use a set", () => {
  it("refuses an account the set does not list, and the requester's own account unless the set allows it (audited)", async () => {
    await openAccessGroup(carol, [requester]);
    const set = await makeSet(["one", "two"]);
    await expect(askForSet(requester, set.id, stranger.id)).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/Refused \(account\): it-set-stranger is not one of the accounts/),
    });
    await expect(askForSet(requester, set.id, null)).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/for its privileged accounts only \(it-set-adm\)/),
    });
    expect(await db.$count(requests)).toBe(0);
    const refused = await audit("request.refused");
    expect(refused.map((e) => [e.targetType, e.targetId, (e.data as { rule: string }).rule])).toEqual([
      ["privilege_set", set.id, "account"],
      ["privilege_set", set.id, "account"],
    ]);

    // Allowed once the set allows own accounts: the requester's own account gets both groups.
    await updatePrivilegeSet(carol, actorFor(carol), {
      id: set.id,
      name: "Tier-1 operations",
      privilegeIds: [privilege.one.id, privilege.two.id],
      credentialIds: [adm.id],
      allowOwnAccount: true,
      enabled: true,
    });
    const r = await askForSet(requester, set.id, null);
    expect((await grantsOf(r.requestId)).every((g) => g.memberDn.toLowerCase() === requester.dn.toLowerCase())).toBe(true);
  });

  it("needs one access group that allows every privilege of the set", async () => {
    const set = await makeSet(["one", "two", "three"]);
    const otherGuid = await directoryGuid("it-set-other");
    const settings = { autoGrantOnProvisioning: true };
    await configuredAccessGroup(carol, {
      name: "it-set One and two",
      settings,
      criteria: { privilegeNames: ["Set one", "Set two"], credentialUsernames: ["it-set-adm"] },
      members: [otherGuid],
    });
    await expect(askForSet(other, set.id)).rejects.toMatchObject({
      message: expect.stringMatching(/In the privilege set "Tier-1 operations": None of your access groups allows "Set three" for the account it-set-adm/),
    });
    // Another group allowing the third privilege does not add up: no single group allows the set.
    await configuredAccessGroup(carol, {
      name: "it-set Three",
      settings,
      criteria: { privilegeNames: ["Set three"], credentialUsernames: ["it-set-adm"] },
      members: [otherGuid],
    });
    await expect(askForSet(other, set.id)).rejects.toMatchObject({
      message: expect.stringMatching(/No single access group of yours allows every privilege of the set/),
    });
    expect((await myAccess(other, actorFor(other))).sets).toEqual([]);

    await configuredAccessGroup(carol, {
      name: "it-set All",
      settings,
      criteria: { privilegeNames: ["Set *"], credentialUsernames: ["it-set-adm"] },
      members: [otherGuid],
    });
    const offered = (await myAccess(other, actorFor(other))).sets;
    expect(offered).toMatchObject([
      { set: { id: set.id, name: "Tier-1 operations" }, ownAccount: false, accounts: [{ username: "it-set-adm" }], verdict: { ok: true, group: "it-set All" } },
    ]);
    expect((await askForSet(other, set.id)).accessGroup).toBe("it-set All");
  });

  it("is not requestable while one of its privileges is disabled", async () => {
    await openAccessGroup(carol, [requester]);
    const set = await makeSet(["one", "two"]);
    const p = privilege.two;
    const [row] = await db.execute<{ max: number }>(sql`select max_duration_minutes as max from privileges where id = ${p.id}`);
    await updatePrivilege(carol, actorFor(carol), {
      id: p.id,
      name: p.name,
      description: "",
      maxDurationMinutes: row!.max,
      defaultDurationMinutes: 5,
      enabled: false,
    });
    await expect(askForSet(requester, set.id)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringMatching(/includes "Set two", which cannot be requested now/),
    });
    expect((await myAccess(requester, actorFor(requester))).sets).toEqual([]);
    // The admin may disable the set as it is, but not enable it again with a disabled privilege in it.
    const edit = { id: set.id, name: "Tier-1 operations", privilegeIds: [privilege.one.id, p.id], credentialIds: [adm.id] };
    await updatePrivilegeSet(carol, actorFor(carol), { ...edit, enabled: false });
    await expect(updatePrivilegeSet(carol, actorFor(carol), { ...edit, enabled: true })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: '"Set two" is disabled: enable it first or leave it out.',
    });
  });
});

describe("all or nothing at activation", () => {
  it("a grant that fails for good removes the memberships its siblings got, also one landing after the failure, and fails the request", async () => {
    await openAccessGroup(carol, [requester]);
    const deleteGroup = await doomedPrivilege();
    const set = await makeSet(["one", "two", "three", "gone"]);
    const r = await askForSet(requester, set.id);
    const byPrivilege = Object.fromEntries((await grantsOf(r.requestId)).map((g) => [g.privilegeId, g.id]));
    const [one, two, three, gone] = (["one", "two", "three", "gone"] as const).map((k) => byPrivilege[privilege[k].id]!);

    expect(await activateGrant(one!)).toBe("activated");
    expect(await isDirectMember(dn.one, ADM_DN)).toBe(true);
    // "two" is being provisioned by a worker that will finish only after the failure (its lease has
    // lapsed, so activateGrant below retakes it); "three" has not started yet.
    await db.execute(
      sql`update grants set state = 'provisioning', attempts = 1, claimed_at = now() - interval '1 hour', claim_token = gen_random_uuid() where id = ${two}`,
    );
    await deleteGroup();

    expect(await failForGood(gone!)).toBe("failed");

    const [request] = await db.select().from(requests).where(eq(requests.id, r.requestId));
    expect(request!.status).toBe("failed");
    expect(request!.outcomeComment).toMatch(/The privilege set "Tier-1 operations" was rolled back: "Set gone" could not be granted/);
    expect(await grantRow(one!)).toMatchObject({ state: "active", end_reason: "revoked" });
    expect(await grantRow(two!)).toMatchObject({ state: "provisioning", end_reason: "revoked" });
    expect(await grantRow(three!)).toMatchObject({ state: "revoked", end_reason: "revoked" });
    const rolledBack = await audit("grant.rolled_back");
    expect(rolledBack.map((e) => [e.targetId, (e.data as { previousState: string }).previousState]).sort()).toEqual(
      [
        [one, "active"],
        [two, "provisioning"],
        [three, "pending"],
      ].sort(),
    );
    expect(
      rolledBack.every(
        (e) =>
          (e.data as { failedGrantId: string; failedPrivilege: string }).failedGrantId === gone &&
          (e.data as { failedPrivilege: string }).failedPrivilege === "Set gone",
      ),
    ).toBe(true);
    expect((await audit("request.rolled_back"))[0]).toMatchObject({
      targetId: r.requestId,
      data: { privilegeSet: "Tier-1 operations", failedPrivilege: "Set gone" },
    });

    // The job of "three" runs later: nothing to do. "two"'s activation lands after the failure: due at once.
    expect(await activateGrant(three!)).toBe("nothing-to-do");
    expect(await activateGrant(two!)).toBe("activated");
    expect(await isDirectMember(dn.two, ADM_DN)).toBe(true);
    expect((await sweepExpired()).removed).toBe(2);
    expect(await isDirectMember(dn.one, ADM_DN)).toBe(false);
    expect(await isDirectMember(dn.two, ADM_DN)).toBe(false);
    expect(await isDirectMember(dn.three, ADM_DN)).toBe(false);
    expect((await grantRow(one!)).state).toBe("revoked");
    expect((await grantRow(two!)).state).toBe("revoked");

    const [mine] = (await listMyRequests(requester)).earlier;
    expect(mine).toMatchObject({ privilege: "Tier-1 operations", status: "failed", grantState: "failed" });
    const labels = (await requestTimeline(requester, r.requestId)).steps.map((s) => s.label);
    expect(labels).toEqual(expect.arrayContaining(["Privilege set rolled back", "Set one: Rolled back", "Set one: Removed from the AD group"]));
  });

  it("a sibling busy at the moment of the failure is rolled back by the second pass", async () => {
    await openAccessGroup(carol, [requester]);
    const deleteGroup = await doomedPrivilege();
    const set = await makeSet(["one", "gone"]);
    const r = await askForSet(requester, set.id);
    const byPrivilege = Object.fromEntries((await grantsOf(r.requestId)).map((g) => [g.privilegeId, g.id]));
    const one = byPrivilege[privilege.one.id]!;
    const gone = byPrivilege[privilege.gone.id]!;
    await activateGrant(one);
    await deleteGroup();

    // Another transaction holds "one" (as a claim or an activation would) while "gone" gives up.
    let locked!: () => void;
    let release!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const holder = db.transaction(async (tx) => {
      await tx.select({ id: grants.id }).from(grants).where(eq(grants.id, one)).for("update");
      locked();
      await released;
    });
    await isLocked;
    try {
      expect(await failForGood(gone)).toBe("failed");
      expect(await grantRow(one)).toMatchObject({ state: "active", end_reason: null });
    } finally {
      release();
      await holder;
    }
    const [job] = await db.execute<{ payload: { requestId: string; failedGrantId: string } }>(
      sql`select payload from graphile_worker._private_jobs where key = ${`privilege-set:rollback:${r.requestId}`}`,
    );
    expect(job!.payload).toMatchObject({ requestId: r.requestId, failedGrantId: gone });

    expect(await finishSetRollback(r.requestId, gone, "gone")).toEqual([one]);
    expect(await finishSetRollback(r.requestId, gone, "gone")).toEqual([]);
    expect((await sweepExpired()).removed).toBe(1);
    expect(await isDirectMember(dn.one, ADM_DN)).toBe(false);
    expect(await db.$count(auditEvents, and(eq(auditEvents.action, "grant.rolled_back"), eq(auditEvents.targetId, one)))).toBe(1);
  });
});

describe("administration", () => {
  it("only admins create or change sets, through the API too", async () => {
    const input = { name: "Not allowed", privilegeIds: [privilege.one.id], credentialIds: [adm.id] };
    await expect(createPrivilegeSet(requester, actorFor(requester), input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await trpcHttp(requester, "privilegeSets.create", input)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    const set = await makeSet(["one"]);
    await expect(updatePrivilegeSet(requester, actorFor(requester), { ...input, id: set.id, enabled: false })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await trpcHttp(requester, "privilegeSets.list", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });

  it("validates sets and audits every change", async () => {
    expect(await trpcHttp(carol, "privilegeSets.create", { name: "x", privilegeIds: [], credentialIds: [] })).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      fieldErrors: {
        name: [expect.any(String)],
        privilegeIds: ["Pick at least one privilege"],
        credentialIds: [expect.stringMatching(/at least one privileged account/)],
      },
    });
    const manual = (await db.insert(catalogCredentials).values({ username: "it-set-manual", source: "manual" }).returning())[0]!;
    await expect(
      createPrivilegeSet(carol, actorFor(carol), { name: "Manual", privilegeIds: [privilege.one.id], credentialIds: [manual.id] }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/only accounts that are in Active Directory/) });

    const set = await makeSet(["one", "two"]);
    await expect(makeSet(["three"])).rejects.toMatchObject({ code: "CONFLICT" });
    await updatePrivilegeSet(carol, actorFor(carol), {
      id: set.id,
      name: "Tier-1 operations",
      privilegeIds: [privilege.three.id],
      credentialIds: [adm.id],
      allowOwnAccount: false,
      enabled: false,
    });
    const [created] = await audit("privilege_set.created");
    expect(created).toMatchObject({
      targetType: "privilege_set",
      targetId: set.id,
      data: { after: { privileges: ["Set one", "Set two"], accounts: ["it-set-adm"], enabled: true } },
    });
    const [updated] = await audit("privilege_set.updated");
    expect(updated!.data).toMatchObject({
      before: { privileges: ["Set one", "Set two"], enabled: true },
      after: { privileges: ["Set three"], enabled: false },
    });
    // Disabled: no longer requestable.
    await openAccessGroup(carol, [requester]);
    await expect(askForSet(requester, set.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
