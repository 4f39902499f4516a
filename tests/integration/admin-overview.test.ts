import type { Client } from "ldapts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { updateApprovers } from "@/server/access-groups/service";
import { unreviewedEmergencies } from "@/server/admin/overview";
import { cancelRequest, reviewEmergency } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { submitRequest } from "@/server/requests/service";
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

/* The administration overview's flag on emergency access that no approver has reviewed yet. */

let ad: Client;
let carol: SessionUser;
let requester: SessionUser;
let approver: SessionUser;
let privilegeId: string;

beforeAll(async () => {
  ad = await adminClient();
  await ensureAdUser(ad, "it-ov-req");
  await ensureAdUser(ad, "it-ov-a1");
  await ensureAdGroup(ad, "it-ov-priv");
});
beforeEach(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  requester = await localUser("it-ov-req");
  approver = await localUser("it-ov-a1");
  privilegeId = (await publishNamed(carol, "it-ov-priv", "OV Privilege")).id;
});
afterAll(async () => {
  await ad.unbind();
});

async function breakGlassGroup() {
  const g = await configuredAccessGroup(carol, {
    name: "it-ov Break glass",
    settings: { requiresApproval: true, allowsEmergencyAccess: true, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-ov-req")],
  });
  await updateApprovers(carol, actorFor(carol), {
    id: g.id,
    version: g.version,
    approvers: [{ userGuid: await directoryGuid("it-ov-a1"), level: 1 }],
    levels: [],
  });
}

describe("unreviewed emergency access on the admin overview", () => {
  it("lists an emergency grant until an approver reviews it, and not ordinary requests", async () => {
    await breakGlassGroup();
    const ordinary = await submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 15, justification: "routine" });
    expect(ordinary.status).toBe("pending");
    expect(await unreviewedEmergencies(carol)).toEqual([]);
    await cancelRequest(requester, actorFor(requester), ordinary.requestId);

    const r = await submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 15, justification: "prod down", emergency: true });
    expect(r).toMatchObject({ status: "approved", grantId: expect.any(String) });
    expect(await unreviewedEmergencies(carol)).toEqual([
      expect.objectContaining({
        requestId: r.requestId,
        requester: "it-ov-req",
        requesterName: expect.any(String),
        privilege: "OV Privilege",
        accessGroup: "it-ov Break glass",
        requestedAt: expect.any(Date),
        justification: "prod down",
        emergency: true,
      }),
    ]);

    // The procedure the overview page calls returns the same.
    const viaHttp = await trpcHttp({ ...carol, isAdmin: false }, "overview.emergencies", undefined, { query: true });
    expect(viaHttp).toMatchObject({ ok: true, data: [{ requestId: r.requestId }] });

    await reviewEmergency(approver, actorFor(approver), r.requestId, "checked the incident ticket");
    expect(await unreviewedEmergencies(carol)).toEqual([]);
  });

  it("is for administrators only", async () => {
    await expect(unreviewedEmergencies(requester)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await trpcHttp(requester, "overview.emergencies", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });
});
