import type { Client } from "ldapts";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, catalogCredentials, grants, privileges, requests } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import { decide } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { ENDED_GRANT_STATES, GRANT_STATES, LIVE_GRANT_STATES } from "@/server/grants/states";
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
  TEST_OU,
} from "./fixtures";

/*
 * One live grant per account and AD group (issue 13, item 5): a partial unique index over the
 * live states; a second request is refused with what the account holds; two approvals racing for
 * the same account end with one grant (one membership) and one failed request, audited — no 500.
 */

const SAMS = ["it-ol-req", "it-ol-other", "it-ol-app", "it-ol-adm"] as const;
let ad: Client;
let admin: SessionUser;
const u: Record<(typeof SAMS)[number], SessionUser> = {} as never;
let privilegeId: string;
let groupDn: string;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of SAMS) await ensureAdUser(ad, sam);
});
beforeEach(async () => {
  groupDn = await ensureAdGroup(ad, "it-ol-priv");
  await resetDatabase();
  admin = await localUser("carol", true);
  for (const sam of SAMS) u[sam] = await localUser(sam);
  privilegeId = (await publishNamed(admin, "it-ol-priv", "OL Privilege", [], 60)).id;
});
afterAll(async () => {
  await ad.unbind();
});

async function group(requiresApproval: boolean) {
  const g = await configuredAccessGroup(admin, {
    name: `it-ol ${requiresApproval ? "approval" : "open"}`,
    settings: { requiresApproval, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-ol-req"), await directoryGuid("it-ol-other")],
  });
  if (requiresApproval) {
    await updateApprovers(admin, actorFor(admin), {
      id: g.id,
      version: g.version,
      approvers: [{ userGuid: await directoryGuid("it-ol-app"), level: 1 }],
      levels: [],
    });
  }
  return g;
}

const ask = (who: SessionUser, extra: { credentialId?: string; startsAt?: Date } = {}) =>
  submitRequest(who, actorFor(who), { privilegeId, durationMinutes: 30, justification: "one live grant", ...extra });

async function liveGrants() {
  return db
    .select()
    .from(grants)
    .where(sql`${grants.state} in ('pending', 'provisioning', 'replicating', 'active', 'expiring')`);
}

describe("a second request for the same account and group", () => {
  it("is refused at submission with what the account holds and until when, audited", async () => {
    await group(false);
    await db.update(privileges).set({ allowExtension: true, maxTotalMinutes: 120 }).where(eq(privileges.id, privilegeId));
    const first = await ask(u["it-ol-req"]);
    expect(await activateGrant(first.grantId!)).toBe("activated");
    await expect(ask(u["it-ol-req"])).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/^You already have "OL Privilege" until \d{4}-\d\d-\d\d \d\d:\d\d UTC — extend it instead\.$/),
    });
    const [refusal] = await db
      .select({ data: auditEvents.data })
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'request.refused' and ${auditEvents.data} ->> 'rule' = 'one-live-grant'`);
    expect(refusal?.data).toMatchObject({ privilege: "OL Privilege", reason: expect.stringContaining("already have") });
    expect(await liveGrants()).toHaveLength(1);
  });

  it("is refused while the first waits to start (scheduled)", async () => {
    await group(false);
    await ask(u["it-ol-req"], { startsAt: new Date(Date.now() + 30 * 60_000) });
    await expect(ask(u["it-ol-req"])).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("scheduled to start at") });
  });
});

describe("two approvals racing for the same account and group", () => {
  it("grant once: the other request fails with the reason, audited and notified, and AD gets one membership", async () => {
    await group(true);
    // A privileged account two people may elevate: each asks for it, each request waits for approval.
    const admGuid = await directoryGuid("it-ol-adm");
    const admDn = `CN=it-ol-adm,${TEST_OU}`;
    const [cred] = await db.insert(catalogCredentials).values({ source: "directory", username: "it-ol-adm", objectGuid: admGuid, dn: admDn }).returning();
    const a = await ask(u["it-ol-req"], { credentialId: cred!.id });
    const b = await ask(u["it-ol-other"], { credentialId: cred!.id });
    expect([a.status, b.status]).toEqual(["pending", "pending"]);

    const approver = u["it-ol-app"];
    const outcomes = await Promise.all([a, b].map((r) => decide(approver, actorFor(approver), { requestId: r.requestId, decision: "approve" })));
    expect(outcomes.map((o) => o.status).sort()).toEqual(["approved", "failed"]);
    const won = outcomes.find((o) => o.status === "approved")!;
    const lostId = outcomes[0]!.status === "failed" ? a.requestId : b.requestId;

    const [lost] = await db.select().from(requests).where(eq(requests.id, lostId));
    expect(lost).toMatchObject({ status: "failed", outcomeComment: expect.stringContaining('it-ol-adm already has "OL Privilege"') });
    const [audit] = await db
      .select({ data: auditEvents.data })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "request.failed"), eq(auditEvents.targetId, lostId)));
    expect(audit?.data).toMatchObject({ rule: "one-live-grant" });

    const live = await liveGrants();
    expect(live.map((g) => g.id)).toEqual([won.grantId]);
    // Both grants' activations, had there been two: only one exists, and it puts the account in once.
    expect(await Promise.all(live.map((g) => activateGrant(g.id)))).toEqual(["activated"]);
    expect(await isDirectMember(groupDn, admDn)).toBe(true);
  });
});

describe("the database constraint", () => {
  it("rejects a second live grant for the same account and group inserted directly, in every live state and whatever the GUIDs' case", async () => {
    // The index's list of states is written in SQL; it must be LIVE_GRANT_STATES.
    expect([...LIVE_GRANT_STATES, ...ENDED_GRANT_STATES].sort()).toEqual([...GRANT_STATES].sort());
    await group(false);
    const first = await ask(u["it-ol-req"]);
    const [row] = await db.select().from(grants).where(eq(grants.id, first.grantId!));
    const { id: _id, ...copy } = row!;
    void _id;
    for (const state of LIVE_GRANT_STATES) {
      await expect(db.insert(grants).values({ ...copy, state, memberGuid: copy.memberGuid.toUpperCase() })).rejects.toMatchObject({
        cause: expect.objectContaining({ code: "23505", constraint_name: "grants_one_live_per_account_group" }),
      });
    }
    // Ended grants do not count: any number of them may sit beside the live one.
    for (const state of ENDED_GRANT_STATES) await db.insert(grants).values({ ...copy, state });
    expect(await liveGrants()).toHaveLength(1);
  });
});
