import { Attribute, Change, type Client } from "ldapts";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { accessGroupMembers, auditEvents, grants, notificationEvents, requestDecisions, requests } from "@/db/schema";
import { removeMember, setActivation } from "@/server/access-groups/members";
import { deleteAccessGroup, updateApprovers, updateSettings } from "@/server/access-groups/service";
import { decide } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { createPrivilegeSet } from "@/server/privilege-sets/service";
import { updatePrivilege } from "@/server/privileges/service";
import { requestTimeline } from "@/server/requests/timeline";
import { submitRequest } from "@/server/requests/service";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  isDirectMember,
  localUser,
  publishNamed,
  resetDatabase,
} from "./fixtures";

/*
 * Issue 13, item 3: the policy is checked again, live, at every vote and every activation — not
 * only as it was frozen at submission. Each case changes the access group, the member or the
 * privilege after the request was made, then drives the decision or the activation and reads the
 * outcome where it lands: the AD group's members, the rows' states, the timeline and the outbox.
 */

const SAMS = ["it-lp-req", "it-lp-a1", "it-lp-a2", "it-lp-b1"] as const;
let ad: Client;
let carol: SessionUser;
const u: Record<(typeof SAMS)[number], SessionUser> = {} as never;
let privilege: { id: string; name: string };
let groupDn: string;
let requesterDn: string;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of SAMS) await ensureAdUser(ad, sam);
});
beforeEach(async () => {
  groupDn = await ensureAdGroup(ad, "it-lp-priv");
  await resetDatabase();
  carol = await localUser("carol", true);
  for (const sam of SAMS) u[sam] = await localUser(sam);
  requesterDn = u["it-lp-req"].dn;
  privilege = await publishNamed(carol, "it-lp-priv", "LP Privilege", [], 120);
});
afterAll(async () => {
  await ensureAdGroup(ad, "it-lp-priv");
  await ad.unbind();
});

/** A group without approval (grants at once, or at a scheduled start). */
async function openGroup() {
  return configuredAccessGroup(carol, {
    name: "it-lp Open",
    settings: { autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-lp-req")],
  });
}

/** A group with approval: a1 and a2 on level 1 (one approval needed), b1 on level 2. */
async function approvalGroup() {
  const g = await configuredAccessGroup(carol, {
    name: "it-lp Approval",
    settings: { requiresApproval: true, approvalInLevels: true, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-lp-req")],
  });
  await updateApprovers(carol, actorFor(carol), {
    id: g.id,
    version: g.version,
    approvers: [
      { userGuid: await directoryGuid("it-lp-a1"), level: 1 },
      { userGuid: await directoryGuid("it-lp-a2"), level: 1 },
      { userGuid: await directoryGuid("it-lp-b1"), level: 2 },
    ],
    levels: [{ level: 1, requiredApprovals: 1 }],
  });
  // Saving the approvers tab bumps the group's version.
  return { ...g, version: g.version + 1 };
}

const ask = (minutes: number, startsAt: Date | null = null) =>
  submitRequest(u["it-lp-req"], actorFor(u["it-lp-req"]), { privilegeId: privilege.id, durationMinutes: minutes, justification: "live policy test", startsAt });

const vote = (sam: (typeof SAMS)[number], requestId: string, decision: "approve" | "deny" = "approve") =>
  decide(u[sam], actorFor(u[sam]), { requestId, decision, comment: "" });

/** The grant's start time comes (the job would run now): as scheduled.test.ts does. */
async function startNow(grantId: string) {
  await db
    .update(grants)
    .set({ startsAt: new Date(Date.now() - 1000) })
    .where(eq(grants.id, grantId));
  return activateGrant(grantId);
}

async function requestRow(id: string) {
  const [row] = await db.select().from(requests).where(eq(requests.id, id));
  return row!;
}
async function grantRowOf(id: string) {
  const [row] = await db.select().from(grants).where(eq(grants.id, id));
  return row!;
}
const labels = async (requestId: string) => (await requestTimeline(carol, requestId)).steps.map((s) => ({ label: s.label, detail: s.detail, tone: s.tone }));
const outbox = (requestId: string) =>
  db
    .select({ event: notificationEvents.event, grantId: notificationEvents.grantId, data: notificationEvents.data })
    .from(notificationEvents)
    .where(eq(notificationEvents.requestId, requestId));

/** A refusal at activation: the grant failed before AD, the request failed, on the timeline and notified. */
async function expectRefusedAtActivation(requestId: string, grantId: string, rule: string, words: RegExp) {
  expect(await isDirectMember(groupDn, requesterDn)).toBe(false);
  const grant = await grantRowOf(grantId);
  expect(grant).toMatchObject({ state: "failed", activatedAt: null, lastError: expect.stringMatching(words) });
  expect(grant.lastError).toContain(`(${rule})`);
  expect(await requestRow(requestId)).toMatchObject({ status: "failed", outcomeComment: expect.stringMatching(words) });
  expect(await labels(requestId)).toContainEqual({
    label: "Not activated: refused by the access policy as it is now",
    detail: expect.stringMatching(words),
    tone: "failed",
  });
  expect(await outbox(requestId)).toContainEqual({ event: "failed", grantId, data: { error: expect.stringMatching(words) } });
  expect((await outbox(requestId)).map((n) => n.event)).not.toContain("granted");
}

/** A refusal at a vote: the request failed without a grant, the vote not recorded, on the timeline and notified. */
async function expectRefusedAtDecision(requestId: string, rule: string, words: RegExp) {
  expect(await isDirectMember(groupDn, requesterDn)).toBe(false);
  expect(await db.select().from(grants).where(eq(grants.requestId, requestId))).toEqual([]);
  expect(await db.select().from(requestDecisions).where(eq(requestDecisions.requestId, requestId))).toEqual([]);
  const row = await requestRow(requestId);
  expect(row).toMatchObject({ status: "failed", outcomeComment: expect.stringMatching(words) });
  expect(row.outcomeComment).toContain(`(${rule})`);
  expect(await labels(requestId)).toContainEqual({ label: "Refused by the access policy as it is now", detail: expect.stringMatching(words), tone: "failed" });
  expect(await outbox(requestId)).toContainEqual({ event: "failed", grantId: null, data: { error: expect.stringMatching(words), actor: "it-lp-a1" } });
  expect((await outbox(requestId)).map((n) => n.event)).not.toContain("approved");
}

describe("at activation (a scheduled start)", () => {
  it("a requester suspended after submitting a scheduled request is not put into the AD group", async () => {
    const g = await openGroup();
    const r = await ask(30, new Date(Date.now() + 10 * 60_000));
    expect(r.status).toBe("approved");
    await setActivation(carol, actorFor(carol), g.id, await directoryGuid("it-lp-req"), "suspended");

    expect(await startNow(r.grantId!)).toBe("failed");
    await expectRefusedAtActivation(r.requestId, r.grantId!, "membership", /membership in the access group it-lp Open is suspended/);
    // Nothing is retried: the refusal is final.
    expect(await activateGrant(r.grantId!)).toBe("nothing-to-do");
    expect(await isDirectMember(groupDn, requesterDn)).toBe(false);
  });

  it("a group disabled before the start refuses the grant", async () => {
    const g = await openGroup();
    const r = await ask(30, new Date(Date.now() + 10 * 60_000));
    await updateSettings(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      name: g.name,
      description: "",
      enabled: false,
      timeZone: "UTC",
      settings: { ...g.settings },
    });
    expect(await startNow(r.grantId!)).toBe("failed");
    await expectRefusedAtActivation(r.requestId, r.grantId!, "disabled", /access group it-lp Open is disabled/);
  });

  it("a privilege disabled after the request was granted is not activated", async () => {
    await openGroup();
    const r = await ask(30);
    expect(r.status).toBe("approved");
    await updatePrivilege(carol, actorFor(carol), {
      id: privilege.id,
      name: privilege.name,
      description: "",
      maxDurationMinutes: 120,
      defaultDurationMinutes: 5,
      enabled: false,
    });
    expect(await activateGrant(r.grantId!)).toBe("failed");
    await expectRefusedAtActivation(r.requestId, r.grantId!, "privilege", /"LP Privilege" is no longer published/);
  });

  it("a maximum shortened before the start clips the grant, with a note on the timeline", async () => {
    await openGroup();
    const r = await ask(90, new Date(Date.now() + 10 * 60_000));
    await updatePrivilege(carol, actorFor(carol), {
      id: privilege.id,
      name: privilege.name,
      description: "",
      maxDurationMinutes: 60,
      defaultDurationMinutes: 5,
      enabled: true,
    });

    expect(await startNow(r.grantId!)).toBe("activated");
    expect(await isDirectMember(groupDn, requesterDn)).toBe(true);
    const g = await grantRowOf(r.grantId!);
    expect(g).toMatchObject({ state: "active", durationSeconds: 3600 });
    expect(g.expiresAt!.getTime() - g.activatedAt!.getTime()).toBe(60 * 60_000);
    expect(await labels(r.requestId)).toContainEqual({ label: "Clipped to 1 h by the privilege's current maximum", detail: "1 h 30 min asked", tone: "done" });
    expect((await outbox(r.requestId)).map((n) => n.event)).toContain("granted");
  });
});

describe("at a decision", () => {
  it("a requester removed from the group while the request waits: the approval fails the request", async () => {
    const g = await approvalGroup();
    const r = await ask(30);
    const [member] = await db
      .select({ id: accessGroupMembers.id })
      .from(accessGroupMembers)
      .where(and(eq(accessGroupMembers.groupId, g.id), eq(accessGroupMembers.name, "it-lp-req")));
    await removeMember(carol, actorFor(carol), g.id, member!.id);

    expect(await vote("it-lp-a1", r.requestId)).toMatchObject({ status: "failed", grantId: null });
    await expectRefusedAtDecision(r.requestId, "membership", /it-lp-req is no longer a member of the access group it-lp Approval/);
  });

  it("a requester disabled in AD while the request waits: the approval fails the request", async () => {
    await approvalGroup();
    const r = await ask(30);
    const uac = (value: string) =>
      ad.modify(requesterDn, new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: [value] }) }));
    await uac("514");
    try {
      expect(await vote("it-lp-a1", r.requestId)).toMatchObject({ status: "failed", grantId: null });
      await expectRefusedAtDecision(r.requestId, "membership", /it-lp-req's account is disabled in the directory/);
    } finally {
      await uac("512");
    }
  });

  it("a group deleted while the request waits: the approval fails the request", async () => {
    const g = await approvalGroup();
    const r = await ask(30);
    await deleteAccessGroup(carol, actorFor(carol), g.id);
    expect(await vote("it-lp-a1", r.requestId)).toMatchObject({ status: "failed" });
    await expectRefusedAtDecision(r.requestId, "deleted", /access group it-lp Approval has been deleted/);
  });

  it("a maximum shortened while the request waits clips the approved duration, with a note", async () => {
    await approvalGroup();
    const r = await ask(90);
    await updatePrivilege(carol, actorFor(carol), {
      id: privilege.id,
      name: privilege.name,
      description: "",
      maxDurationMinutes: 60,
      defaultDurationMinutes: 5,
      enabled: true,
    });
    expect(await vote("it-lp-a1", r.requestId)).toMatchObject({ status: "pending", level: 2 });
    expect(await requestRow(r.requestId)).toMatchObject({ status: "pending", approvedDurationMinutes: 60 });
    const done = await vote("it-lp-b1", r.requestId);
    expect(done).toMatchObject({ status: "approved" });
    expect(await grantRowOf(done.grantId!)).toMatchObject({ durationSeconds: 3600, state: "pending" });
    expect(await labels(r.requestId)).toContainEqual({ label: "Clipped to 1 h by the privilege's current maximum", detail: "1 h 30 min asked", tone: "done" });
    expect((await outbox(r.requestId)).map((n) => n.event)).toContain("approved");
  });

  it("an approver removed from the group's approvers can no longer vote on a request frozen before", async () => {
    const g = await approvalGroup();
    const r = await ask(30);
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      approvers: [
        { userGuid: await directoryGuid("it-lp-a1"), level: 1 },
        { userGuid: await directoryGuid("it-lp-b1"), level: 2 },
      ],
      levels: [{ level: 1, requiredApprovals: 1 }],
    });
    for (const decision of ["approve", "deny"] as const) {
      await expect(vote("it-lp-a2", r.requestId, decision)).rejects.toMatchObject({
        code: "FORBIDDEN",
        rule: "approver",
        message: "You are no longer an approver of it-lp Approval.",
      });
    }
    expect(await requestRow(r.requestId)).toMatchObject({ status: "pending", currentLevel: 1 });
    expect(await db.select().from(requestDecisions).where(eq(requestDecisions.requestId, r.requestId))).toEqual([]);
    expect(await labels(r.requestId)).toContainEqual({
      label: "Vote by it-lp-a2 refused",
      detail: "You are no longer an approver of it-lp Approval.",
      tone: "done",
    });
    const refusals = await db.select({ data: auditEvents.data }).from(auditEvents).where(eq(auditEvents.action, "request.vote_refused"));
    expect(refusals).toHaveLength(2);
    expect((await outbox(r.requestId)).map((n) => n.event).sort()).toEqual(["approval_needed", "requested"]);
    // A remaining approver still decides.
    expect(await vote("it-lp-a1", r.requestId)).toMatchObject({ status: "pending", level: 2 });
  });

  it("an approver moved to another level cannot vote on the level they left", async () => {
    const g = await approvalGroup();
    const r = await ask(30);
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      approvers: [
        { userGuid: await directoryGuid("it-lp-a1"), level: 2 },
        { userGuid: await directoryGuid("it-lp-a2"), level: 1 },
      ],
      levels: [{ level: 1, requiredApprovals: 1 }],
    });
    await expect(vote("it-lp-a1", r.requestId)).rejects.toMatchObject({
      code: "FORBIDDEN",
      rule: "approver",
      message: "You are now an approver of level 2 of it-lp Approval, not of level 1, where this request waits.",
    });
    expect(await requestRow(r.requestId)).toMatchObject({ status: "pending", currentLevel: 1 });
    expect(await db.select().from(grants)).toEqual([]);
    expect((await outbox(r.requestId)).map((n) => n.event)).not.toContain("approved");
    expect(await labels(r.requestId)).toContainEqual(expect.objectContaining({ label: "Vote by it-lp-a1 refused" }));
  });
});

describe("a privilege set's grants", () => {
  let second: { id: string; name: string };
  let secondDn: string;

  async function grantedSet(minutes: number) {
    await openGroup();
    secondDn = await ensureAdGroup(ad, "it-lp-priv2");
    second = await publishNamed(carol, "it-lp-priv2", "LP Second", [], 120);
    const set = await createPrivilegeSet(carol, actorFor(carol), {
      name: "LP Set",
      description: "",
      privilegeIds: [privilege.id, second.id],
      credentialIds: [],
      allowOwnAccount: true,
    });
    const r = await submitRequest(u["it-lp-req"], actorFor(u["it-lp-req"]), {
      privilegeSetId: set.id,
      credentialId: null,
      durationMinutes: minutes,
      justification: "live policy set",
    });
    expect(r.status).toBe("approved");
    const rows = await db.select().from(grants).where(eq(grants.requestId, r.requestId));
    const of = (id: string) => rows.find((g) => g.privilegeId === id)!.id;
    return { requestId: r.requestId, first: of(privilege.id), other: of(second.id) };
  }
  afterAll(async () => {
    await ensureAdGroup(ad, "it-lp-priv2");
  });

  it("each grant is clipped by its own privilege's current maximum", async () => {
    const r = await grantedSet(90);
    await updatePrivilege(carol, actorFor(carol), {
      id: second.id,
      name: second.name,
      description: "",
      maxDurationMinutes: 60,
      defaultDurationMinutes: 5,
      enabled: true,
    });
    expect(await activateGrant(r.first)).toBe("activated");
    expect(await activateGrant(r.other)).toBe("activated");
    expect(await grantRowOf(r.first)).toMatchObject({ state: "active", durationSeconds: 90 * 60 });
    expect(await grantRowOf(r.other)).toMatchObject({ state: "active", durationSeconds: 60 * 60 });
    expect(await isDirectMember(secondDn, requesterDn)).toBe(true);
    expect(await labels(r.requestId)).toContainEqual({
      label: "LP Second: Clipped to 1 h by the privilege's current maximum",
      detail: "1 h 30 min asked",
      tone: "done",
    });
  });

  it("a privilege of the set disabled: no grant of the set reaches AD, the request fails", async () => {
    const r = await grantedSet(30);
    await updatePrivilege(carol, actorFor(carol), {
      id: second.id,
      name: second.name,
      description: "",
      maxDurationMinutes: 120,
      defaultDurationMinutes: 5,
      enabled: false,
    });
    // The grant of the privilege still published is refused too: the set is all or nothing.
    expect(await activateGrant(r.first)).toBe("failed");
    expect(await isDirectMember(groupDn, requesterDn)).toBe(false);
    expect(await grantRowOf(r.first)).toMatchObject({ state: "failed", lastError: expect.stringContaining('"LP Second" is no longer published') });
    // Its sibling was rolled back before it started: its job finds nothing to do.
    expect(await grantRowOf(r.other)).toMatchObject({ state: "revoked" });
    expect(await activateGrant(r.other)).toBe("nothing-to-do");
    expect(await isDirectMember(secondDn, requesterDn)).toBe(false);
    expect(await requestRow(r.requestId)).toMatchObject({ status: "failed", outcomeComment: expect.stringContaining('"LP Second" is no longer published') });
    expect(await labels(r.requestId)).toContainEqual({
      label: "LP Privilege: Not activated: refused by the access policy as it is now",
      detail: expect.stringContaining('"LP Second" is no longer published'),
      tone: "failed",
    });
    expect(await outbox(r.requestId)).toContainEqual({ event: "failed", grantId: r.first, data: { error: expect.stringContaining("LP Second") } });
  });
});
