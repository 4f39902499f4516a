import type { Client } from "ldapts";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import { decide } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { submitRequest } from "@/server/requests/service";
import { requestTimeline } from "@/server/requests/timeline";
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
  trpcHttp,
} from "./fixtures";

/*
 * The request timeline read from the real audit trail: a two-level approval, the worker's
 * activation and removal, in chain order with their actors; and who may read it.
 */

const SAMS = ["it-tl-req", "it-tl-a1", "it-tl-b1", "it-tl-other"] as const;
let ad: Client;
let groupDn: string;
let carol: SessionUser;
const u: Record<(typeof SAMS)[number], SessionUser> = {} as never;
let privilegeId: string;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of SAMS) await ensureAdUser(ad, sam);
  groupDn = await ensureAdGroup(ad, "it-tl-priv");
});
beforeEach(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  for (const sam of SAMS) u[sam] = await localUser(sam);
  privilegeId = (await publishNamed(carol, "it-tl-priv", "TL Privilege")).id;
  const g = await configuredAccessGroup(carol, {
    name: "it-tl Two levels",
    settings: { requiresApproval: true, approvalInLevels: true, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-tl-req"), await directoryGuid("it-tl-other")],
  });
  await updateApprovers(carol, actorFor(carol), {
    id: g.id,
    version: g.version,
    approvers: [
      { userGuid: await directoryGuid("it-tl-a1"), level: 1 },
      { userGuid: await directoryGuid("it-tl-b1"), level: 2 },
    ],
    levels: [],
  });
});
afterAll(async () => {
  await ad.unbind();
});

async function ask(minutes = 30) {
  const r = await submitRequest(u["it-tl-req"], actorFor(u["it-tl-req"]), { privilegeId, durationMinutes: minutes, justification: "timeline test" });
  expect(r.status).toBe("pending");
  return r.requestId;
}

const approve = (sam: (typeof SAMS)[number], requestId: string, comment = "") => decide(u[sam], actorFor(u[sam]), { requestId, decision: "approve", comment });

const labels = (steps: { label: string; actor: string | null; tone: string }[]) => steps.map((s) => [s.label, s.actor, s.tone]);

describe("the request timeline", () => {
  it("tells a two-level approval, the activation and the removal in order, with who did what", async () => {
    const id = await ask(30);
    expect(labels((await requestTimeline(u["it-tl-req"], id)).steps)).toEqual([
      ["Requested by it-tl-req (30 min)", "it-tl-req", "done"],
      ["Waiting for level 1 of 2", null, "current"],
    ]);

    await approve("it-tl-a1", id, "fine for the patch window");
    expect((await requestTimeline(u["it-tl-req"], id)).steps.at(-1)).toMatchObject({ label: "Waiting for level 2 of 2", tone: "current" });
    const approved = await approve("it-tl-b1", id);
    expect(await activateGrant(approved.grantId!)).toBe("activated");
    expect(await isDirectMember(groupDn, u["it-tl-req"].dn)).toBe(true);

    const [grant] = await db.select().from(grants).where(eq(grants.requestId, id));
    const active = await requestTimeline(u["it-tl-req"], id);
    expect(active.requestId).toBe(id);
    expect(labels(active.steps)).toEqual([
      ["Requested by it-tl-req (30 min)", "it-tl-req", "done"],
      ["Level 1 approved by it-tl-a1", "it-tl-a1", "done"],
      ["Level 1 complete", "it-tl-a1", "done"],
      ["Level 2 approved by it-tl-b1", "it-tl-b1", "done"],
      ["Level 2 complete", "it-tl-b1", "done"],
      ["Approved", "it-tl-b1", "done"],
      ["Provisioning", "Interim", "done"],
      ["Active", "Interim", "current"],
      ["Expires", null, "upcoming"],
    ]);
    expect(active.steps[0]).toMatchObject({ detail: "timeline test" });
    expect(active.steps[1]).toMatchObject({ detail: "fine for the patch window" });
    expect(active.steps[7]).toMatchObject({ until: grant!.expiresAt!.toISOString() });
    expect(active.steps[8]).toMatchObject({ key: "next:expires", at: grant!.expiresAt!.toISOString() });
    const times = active.steps.slice(0, -1).map((s) => Date.parse(s.at!));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // Due now: the sweep removes the membership and the timeline ends with it.
    await db.update(grants).set({ expiresAt: new Date() }).where(eq(grants.id, grant!.id));
    expect((await requestTimeline(u["it-tl-req"], id)).steps.at(-1)).toMatchObject({ label: "Removing from the AD group", tone: "current" });
    expect((await sweepExpired()).removed).toBe(1);
    const ended = (await requestTimeline(u["it-tl-req"], id)).steps;
    expect(ended.at(-1)).toMatchObject({
      label: "Removed from the AD group",
      actor: "Interim",
      tone: "done",
      detail: expect.stringMatching(/ after the expiry$/),
    });
    expect(ended.map((s) => s.tone)).not.toContain("current");
    expect(await isDirectMember(groupDn, u["it-tl-req"].dn)).toBe(false);
  });

  it("is read by the requester, the request's approvers and admins; not by others", async () => {
    const id = await ask();
    await approve("it-tl-a1", id);
    const seen = labels((await requestTimeline(u["it-tl-req"], id)).steps);
    expect(seen).toHaveLength(4);
    // b1 approves level 2 only, which the request has not reached: still one of its approvers.
    for (const reader of [u["it-tl-a1"], u["it-tl-b1"], carol]) expect(labels((await requestTimeline(reader, id)).steps)).toEqual(seen);
    await expect(requestTimeline(u["it-tl-other"], id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(requestTimeline({ ...carol, isAdmin: false }, id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(requestTimeline(u["it-tl-req"], "5f0c3c55-1a0a-4f43-9c55-7b7c2f3e9a10")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers through tRPC with admin rights re-read, not taken from the token", async () => {
    const id = await ask();
    const get = (user: SessionUser, requestId: unknown) => trpcHttp(user, "requests.timeline", { requestId }, { query: true });

    expect(await get(u["it-tl-req"], id)).toMatchObject({
      ok: true,
      data: { requestId: id, steps: [{ label: "Requested by it-tl-req (30 min)" }, { label: "Waiting for level 1 of 2" }] },
    });
    // authedProcedure clears the token's admin hint; the router asks the directory-backed status.
    expect(await get({ ...carol, isAdmin: false }, id)).toMatchObject({ ok: true, data: { requestId: id } });
    expect(await get({ ...u["it-tl-other"], isAdmin: true }, id)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await get(u["it-tl-req"], "5f0c3c55-1a0a-4f43-9c55-7b7c2f3e9a10")).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(await get(u["it-tl-req"], "not-an-id")).toMatchObject({ ok: false, code: "BAD_REQUEST", fieldErrors: { requestId: [expect.any(String)] } });
  });
});
