import type { Client } from "ldapts";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, grants, requestDecisions, requests } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import { cancelRequest, decide, emergenciesToReview, expireUndecided, inbox, reviewEmergency } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { previewRequest, submitRequest } from "@/server/requests/service";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  localUser,
  publishNamed,
  resetDatabase,
  trpcHttp,
} from "./fixtures";

/*
 * The approval workflow (issue 4, server side): levels frozen on the request, required approvals
 * per level, the last approval creating the grant in the same transaction, denial, self-approval
 * and wrong-level refusals, racing approvers, shortening, cancelling and expiry.
 */

const SAMS = ["it-ap-req", "it-ap-a1", "it-ap-a2", "it-ap-b1"] as const;
let ad: Client;
let carol: SessionUser;
const u: Record<(typeof SAMS)[number], SessionUser> = {} as never;
let privilegeId: string;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of SAMS) await ensureAdUser(ad, sam);
  await ensureAdGroup(ad, "it-ap-priv");
});
beforeEach(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  for (const sam of SAMS) u[sam] = await localUser(sam);
  privilegeId = (await publishNamed(carol, "it-ap-priv", "AP Privilege")).id;
});
afterAll(async () => {
  await ad.unbind();
});

/** A group where it-ap-req may request, approved by a1 + a2 (both needed) on level 1 and b1 on level 2. */
async function twoLevelGroup(opts: { levelOneNeeds?: number; extraLevelOne?: string[] } = {}) {
  const g = await configuredAccessGroup(carol, {
    name: "it-ap Two levels",
    settings: { requiresApproval: true, approvalInLevels: true, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-ap-req")],
  });
  const levelOne = ["it-ap-a1", "it-ap-a2", ...(opts.extraLevelOne ?? [])];
  await updateApprovers(carol, actorFor(carol), {
    id: g.id,
    version: g.version,
    approvers: [
      ...(await Promise.all(levelOne.map(async (s) => ({ userGuid: await directoryGuid(s), level: 1 })))),
      { userGuid: await directoryGuid("it-ap-b1"), level: 2 },
    ],
    levels: [{ level: 1, requiredApprovals: opts.levelOneNeeds ?? 2 }],
  });
  return g;
}

async function ask(minutes = 30) {
  const r = await submitRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), { privilegeId, durationMinutes: minutes, justification: "approval test" });
  expect(r.status).toBe("pending");
  return r.requestId;
}

const approve = (sam: (typeof SAMS)[number], requestId: string, extra: { comment?: string; durationMinutes?: number | null } = {}) =>
  decide(u[sam], actorFor(u[sam]), { requestId, decision: "approve", ...extra });

async function request(id: string) {
  const [row] = await db.select().from(requests).where(eq(requests.id, id));
  return row!;
}

describe("approval in levels", () => {
  it("moves from level to level and the last approval creates the grant, shortened, in the same transaction", async () => {
    await twoLevelGroup();
    // The form shows who decides at each level before submitting.
    expect(await previewRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), { privilegeId, durationMinutes: 30 })).toMatchObject({
      ok: true,
      requiresApproval: true,
      approvalLevels: [
        { level: 1, requiredApprovals: 2, approvers: ["Test it-ap-a1", "Test it-ap-a2"] },
        { level: 2, requiredApprovals: 1, approvers: ["Test it-ap-b1"] },
      ],
    });
    const id = await ask(30);
    expect((await inbox(u["it-ap-a1"])).map((r) => r.requestId)).toEqual([id]);
    expect(await inbox(u["it-ap-b1"])).toEqual([]);

    expect(await approve("it-ap-a1", id)).toMatchObject({ status: "pending", level: 1, approvals: 1, needed: 2 });
    expect(await inbox(u["it-ap-a1"])).toEqual([]); // decided already
    expect(await approve("it-ap-a2", id, { durationMinutes: 20 })).toMatchObject({ status: "pending", level: 2 });
    expect(await request(id)).toMatchObject({ status: "pending", currentLevel: 2, approvedDurationMinutes: 20 });
    expect(await db.select().from(grants)).toEqual([]);
    expect((await inbox(u["it-ap-b1"])).map((r) => r.requestId)).toEqual([id]);

    const done = await approve("it-ap-b1", id, { durationMinutes: 10 });
    expect(done).toMatchObject({ status: "approved", grantId: expect.any(String) });
    expect(await request(id)).toMatchObject({ status: "approved", approvedDurationMinutes: 10, decidedAt: expect.any(Date) });
    expect(await db.select().from(grants)).toEqual([
      expect.objectContaining({ id: done.grantId, requestId: id, durationSeconds: 600, state: "pending", userId: u["it-ap-req"].id }),
    ]);

    const trail = await db
      .select({ action: auditEvents.action, data: auditEvents.data })
      .from(auditEvents)
      .where(eq(auditEvents.targetId, id))
      .orderBy(asc(auditEvents.seq));
    expect(trail.map((e) => e.action)).toEqual([
      "request.submitted",
      "request.decision",
      "request.decision",
      "request.level_completed",
      "request.decision",
      "request.level_completed",
      "request.approved",
    ]);
    expect(trail.at(-1)?.data).toMatchObject({ automatic: false, grantId: done.grantId });
  });

  it("only approvers of the current level decide, once each, never on their own request, never lengthening", async () => {
    await twoLevelGroup({ extraLevelOne: ["it-ap-req"] });
    const id = await ask(30);
    await expect(approve("it-ap-req", id)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/your own request/) });
    expect(await inbox(u["it-ap-req"])).toEqual([]);
    await expect(approve("it-ap-b1", id)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/Only approvers of level 1/) });
    await expect(decide(carol, actorFor(carol), { requestId: id, decision: "approve" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(approve("it-ap-a1", id, { durationMinutes: 31 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/not lengthen/),
    });
    await approve("it-ap-a1", id);
    await expect(approve("it-ap-a1", id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already decided on level 1/) });
    expect(await db.select().from(requestDecisions)).toHaveLength(1);
  });

  it("a denial ends the request with the approver's comment", async () => {
    await twoLevelGroup();
    const id = await ask();
    expect(await decide(u["it-ap-a1"], actorFor(u["it-ap-a1"]), { requestId: id, decision: "deny", comment: "not during the freeze" })).toMatchObject({
      status: "denied",
    });
    expect(await request(id)).toMatchObject({ status: "denied", outcomeComment: "not during the freeze" });
    await expect(approve("it-ap-a2", id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already denied/) });
    expect(await db.select().from(grants)).toEqual([]);
  });

  it("two approvers racing on a level that needs one approval advance it exactly once", async () => {
    await twoLevelGroup({ levelOneNeeds: 1 });
    const id = await ask();
    const results = await Promise.allSettled([approve("it-ap-a1", id), approve("it-ap-a2", id)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    // The loser waited for the row lock, then found the request on level 2, where it is no approver.
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/level 2/),
    });
    expect(await request(id)).toMatchObject({ currentLevel: 2, status: "pending" });
    expect(await db.select().from(requestDecisions).where(eq(requestDecisions.requestId, id))).toHaveLength(1);
  });

  it("a second request for the same privilege is refused while one waits", async () => {
    await twoLevelGroup();
    await ask();
    await expect(submitRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), { privilegeId, durationMinutes: 5, justification: "again" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });
});

describe("ending without a decision", () => {
  it("the requester cancels a waiting request; nobody else can", async () => {
    await twoLevelGroup();
    const id = await ask();
    await expect(cancelRequest(u["it-ap-a1"], actorFor(u["it-ap-a1"]), id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await cancelRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), id)).toEqual({ status: "cancelled" });
    await expect(approve("it-ap-a1", id)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(cancelRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), id)).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("over HTTP the cancel lives at requests.cancel only, and an approver cannot use it on someone else's request", async () => {
    await twoLevelGroup();
    const id = await ask();
    expect(await trpcHttp(u["it-ap-a1"], "requests.cancel", { requestId: id })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    // The old path is gone, not a second way in.
    expect(await trpcHttp(u["it-ap-req"], "approvals.cancel", { requestId: id })).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect((await request(id)).status).toBe("pending");
    expect(await trpcHttp(u["it-ap-req"], "requests.cancel", { requestId: id })).toMatchObject({ ok: true });
    expect((await request(id)).status).toBe("cancelled");
  });

  it("a request undecided past its deadline expires and can no longer be approved", async () => {
    await twoLevelGroup();
    const id = await ask();
    const deadline = (await request(id)).approvalDeadline!;
    expect(deadline.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(await expireUndecided()).toBe(0);
    await db
      .update(requests)
      .set({ approvalDeadline: new Date(Date.now() - 1000) })
      .where(eq(requests.id, id));
    await expect(approve("it-ap-a1", id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/expired/) });
    expect(await expireUndecided()).toBe(1);
    expect(await request(id)).toMatchObject({ status: "expired" });
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "request.expired"));
    expect(event?.targetId).toBe(id);
  });
});

describe("emergency access", () => {
  it("is granted at once and stays flagged for the group's approvers until one reviews it", async () => {
    const g = await configuredAccessGroup(carol, {
      name: "it-ap Break glass",
      settings: { requiresApproval: true, allowsEmergencyAccess: true, autoGrantOnProvisioning: true },
      members: [await directoryGuid("it-ap-req")],
    });
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      approvers: [{ userGuid: await directoryGuid("it-ap-a1"), level: 1 }],
      levels: [],
    });
    const r = await submitRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), { privilegeId, durationMinutes: 15, justification: "prod down", emergency: true });
    expect(r).toMatchObject({ status: "approved", grantId: expect.any(String) });

    expect((await emergenciesToReview(u["it-ap-a1"])).map((e) => [e.requestId, e.justification])).toEqual([[r.requestId, "prod down"]]);
    expect(await emergenciesToReview(u["it-ap-b1"])).toEqual([]); // not an approver of this group
    expect(await emergenciesToReview(u["it-ap-req"])).toEqual([]);
    await expect(reviewEmergency(u["it-ap-b1"], actorFor(u["it-ap-b1"]), r.requestId, "")).rejects.toMatchObject({ code: "FORBIDDEN" });

    expect(await reviewEmergency(u["it-ap-a1"], actorFor(u["it-ap-a1"]), r.requestId, "checked the incident ticket")).toEqual({ reviewed: true });
    expect(await emergenciesToReview(u["it-ap-a1"])).toEqual([]);
    expect(await request(r.requestId)).toMatchObject({ reviewedBy: u["it-ap-a1"].id, reviewComment: "checked the incident ticket" });
    await expect(reviewEmergency(u["it-ap-a1"], actorFor(u["it-ap-a1"]), r.requestId, "")).rejects.toMatchObject({ code: "CONFLICT" });
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "request.emergency_reviewed"));
    expect(event).toMatchObject({ targetId: r.requestId, data: { comment: "checked the incident ticket" } });
  });

  it("is not reviewed by someone removed from the group's approvers since", async () => {
    const g = await configuredAccessGroup(carol, {
      name: "it-ap Break glass 2",
      settings: { requiresApproval: true, allowsEmergencyAccess: true, autoGrantOnProvisioning: true },
      members: [await directoryGuid("it-ap-req")],
    });
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      approvers: [{ userGuid: await directoryGuid("it-ap-a1"), level: 1 }],
      levels: [],
    });
    const r = await submitRequest(u["it-ap-req"], actorFor(u["it-ap-req"]), {
      privilegeId,
      durationMinutes: 15,
      justification: "prod down again",
      emergency: true,
    });
    expect(r.status).toBe("approved");
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version + 1,
      approvers: [{ userGuid: await directoryGuid("it-ap-b1"), level: 1 }],
      levels: [],
    });
    await expect(reviewEmergency(u["it-ap-a1"], actorFor(u["it-ap-a1"]), r.requestId, "late")).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/no longer an approver of it-ap Break glass 2/),
    });
    expect(await request(r.requestId)).toMatchObject({ reviewedBy: null });
  });
});
