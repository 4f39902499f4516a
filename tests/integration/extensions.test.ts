import type { Client } from "ldapts";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, grants, notificationEvents, privileges, requests } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import { decide, inbox } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { extendGrant } from "@/server/grants/extend";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { endGrant } from "@/server/grants/service";
import { jobKeys } from "@/server/jobs/enqueue";
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
 * Extensions (issue 4): the holder extends an active grant up to the privilege's maximum total,
 * through the access group's approval rule; the end moves in the database, the expiry job moves
 * with its job key, and the membership stays in AD past the old end.
 */

const SAMS = ["it-ex-req", "it-ex-app", "it-ex-other"] as const;
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
  // Emptied each time: a membership left by an earlier test would count as pre-existing (kept at expiry).
  groupDn = await ensureAdGroup(ad, "it-ex-priv");
  await resetDatabase();
  admin = await localUser("carol", true);
  for (const sam of SAMS) u[sam] = await localUser(sam);
  privilegeId = (await publishNamed(admin, "it-ex-priv", "EX Privilege", [], 60)).id;
  await db.update(privileges).set({ allowExtension: true, maxTotalMinutes: 120 }).where(eq(privileges.id, privilegeId));
});
afterAll(async () => {
  await ad.unbind();
});

async function group(requiresApproval: boolean) {
  const g = await configuredAccessGroup(admin, {
    name: `it-ex ${requiresApproval ? "approval" : "open"}`,
    settings: { requiresApproval, autoGrantOnProvisioning: true },
    members: [await directoryGuid("it-ex-req"), await directoryGuid("it-ex-other")],
  });
  if (requiresApproval) {
    await updateApprovers(admin, actorFor(admin), {
      id: g.id,
      version: g.version,
      approvers: [{ userGuid: await directoryGuid("it-ex-app"), level: 1 }],
      levels: [],
    });
  }
  return g;
}

/** An active grant of `minutes` for it-ex-req (approved by it-ex-app when the group needs it). */
async function activeGrant(minutes: number, approval = false) {
  const r = await submitRequest(u["it-ex-req"], actorFor(u["it-ex-req"]), { privilegeId, durationMinutes: minutes, justification: "extension test" });
  let grantId = r.grantId;
  if (approval) grantId = (await decide(u["it-ex-app"], actorFor(u["it-ex-app"]), { requestId: r.requestId, decision: "approve" })).grantId;
  expect(await activateGrant(grantId!)).toBe("activated");
  return grantId!;
}

async function grant(id: string) {
  const [row] = await db.select().from(grants).where(eq(grants.id, id));
  return row!;
}

async function expiryJobRunAt(grantId: string): Promise<Date> {
  const [job] = await db.execute<{ run_at: string | Date }>(sql`select run_at from graphile_worker.jobs where key = ${jobKeys.expire(grantId)}`);
  return new Date(job!.run_at);
}

const extend = (who: SessionUser, grantId: string, minutes: number) => extendGrant(who, actorFor(who), { grantId, minutes, justification: "need more time" });

describe("extensions without approval", () => {
  it("moves the end and the expiry job by the minutes asked, audited and notified", async () => {
    await group(false);
    const grantId = await activeGrant(60);
    const before = await grant(grantId);
    const jobBefore = await expiryJobRunAt(grantId);

    const r = await extend(u["it-ex-req"], grantId, 30);
    expect(r.status).toBe("approved");
    const after = await grant(grantId);
    expect(after.expiresAt!.getTime() - before.expiresAt!.getTime()).toBe(30 * 60_000);
    expect(after.extendedMinutes).toBe(30);
    expect((await expiryJobRunAt(grantId)).getTime() - jobBefore.getTime()).toBe(30 * 60_000);
    const [audit] = await db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'grant.extended' and ${auditEvents.targetId} = ${grantId}`);
    expect(audit?.data).toMatchObject({ minutes: 30, previousExpiresAt: before.expiresAt!.toISOString(), expiresAt: after.expiresAt!.toISOString() });
    const events = await db.select({ event: notificationEvents.event }).from(notificationEvents).where(eq(notificationEvents.grantId, grantId));
    expect(events.map((e) => e.event)).toContain("extended");
  });

  it("keeps the membership in AD past the old end, and removes it at the new one", async () => {
    await group(false);
    const grantId = await activeGrant(10);
    const dn = (await grant(grantId)).memberDn;
    // Due in two seconds; extended by a minute, then the old end passes without removal.
    await db.execute(sql`update grants set expires_at = now() + interval '2 seconds', activated_at = now() where id = ${grantId}`);
    await extend(u["it-ex-req"], grantId, 1);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await sweepExpired()).claimed).toBe(0);
    expect(await isDirectMember(groupDn, dn)).toBe(true);
    // The new end comes (shortened here): the sweep removes it.
    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect((await sweepExpired()).removed).toBe(1);
    expect(await isDirectMember(groupDn, dn)).toBe(false);
  });

  it("refuses past the maximum total, for privileges without extension, for someone else's grant, and after the end", async () => {
    await group(false);
    const grantId = await activeGrant(60);
    await expect(extend(u["it-ex-req"], grantId, 61)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("at most 60 minutes") });
    await extend(u["it-ex-req"], grantId, 60);
    await expect(extend(u["it-ex-req"], grantId, 1)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("maximum of 120 minutes") });
    await expect(extend(u["it-ex-other"], grantId, 1)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(extend(admin, grantId, 1)).rejects.toMatchObject({ code: "FORBIDDEN" });

    await db.update(privileges).set({ allowExtension: false }).where(eq(privileges.id, privilegeId));
    await expect(extend(u["it-ex-req"], grantId, 1)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("cannot be extended") });
    await db.update(privileges).set({ allowExtension: true, maxTotalMinutes: 500 }).where(eq(privileges.id, privilegeId));
    await endGrant(u["it-ex-req"], actorFor(u["it-ex-req"]), grantId, "ended_early");
    await expect(extend(u["it-ex-req"], grantId, 1)).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("checks the holder is still allowed the privilege now", async () => {
    const g = await group(false);
    const grantId = await activeGrant(30);
    // Suspended in the access group since the grant began: no more time.
    await db.execute(
      sql`update access_group_activations set state = 'suspended' where group_id = ${g.id} and lower(user_guid) = lower(${await directoryGuid("it-ex-req")})`,
    );
    await expect(extend(u["it-ex-req"], grantId, 10)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("Refused (membership)") });
    const refused = await db.select().from(auditEvents).where(eq(auditEvents.action, "request.refused"));
    expect(refused.at(-1)?.data).toMatchObject({ rule: "membership", reason: expect.stringContaining("Extension") });
  });

  it("refuses to extend a membership whose TTL AD enforces", async () => {
    await group(false);
    const grantId = await activeGrant(30);
    await db.update(grants).set({ mechanism: "ttl" }).where(eq(grants.id, grantId));
    await expect(extend(u["it-ex-req"], grantId, 10)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("TTL") });
  });

  it("never extends past the access group's window", async () => {
    await group(false);
    const grantId = await activeGrant(60);
    const end = (await grant(grantId)).expiresAt!;
    const notAfter = new Date(end.getTime() + 5 * 60_000);
    await db.update(grants).set({ notAfter }).where(eq(grants.id, grantId));
    await extend(u["it-ex-req"], grantId, 30);
    expect((await grant(grantId)).expiresAt!.getTime()).toBe(notAfter.getTime());
  });
});

describe("extensions through approval", () => {
  it("waits in the approver's inbox as an extension and moves the end when approved", async () => {
    await group(true);
    const grantId = await activeGrant(30, true);
    const before = await grant(grantId);
    const r = await extend(u["it-ex-req"], grantId, 15);
    expect(r.status).toBe("pending");
    expect((await grant(grantId)).expiresAt!.getTime()).toBe(before.expiresAt!.getTime());
    const waiting = await inbox(u["it-ex-app"]);
    expect(waiting).toEqual([expect.objectContaining({ requestId: r.requestId, kind: "extension", durationMinutes: 15 })]);
    // Still one at a time, and nobody approves their own.
    await expect(extend(u["it-ex-req"], grantId, 5)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(decide(u["it-ex-req"], actorFor(u["it-ex-req"]), { requestId: r.requestId, decision: "approve" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    const d = await decide(u["it-ex-app"], actorFor(u["it-ex-app"]), { requestId: r.requestId, decision: "approve" });
    expect(d).toMatchObject({ status: "approved", grantId });
    expect((await grant(grantId)).expiresAt!.getTime() - before.expiresAt!.getTime()).toBe(15 * 60_000);
    const [row] = await db.select().from(requests).where(eq(requests.id, r.requestId));
    expect(row).toMatchObject({ status: "approved", kind: "extension", extendsGrantId: grantId });
  });

  it("an approval that comes after the access ended extends nothing", async () => {
    await group(true);
    const grantId = await activeGrant(30, true);
    const r = await extend(u["it-ex-req"], grantId, 15);
    await endGrant(u["it-ex-req"], actorFor(u["it-ex-req"]), grantId, "ended_early");
    await sweepExpired();
    const d = await decide(u["it-ex-app"], actorFor(u["it-ex-app"]), { requestId: r.requestId, decision: "approve" });
    expect(d.status).toBe("failed");
    const [row] = await db.select().from(requests).where(eq(requests.id, r.requestId));
    expect(row).toMatchObject({ status: "failed", outcomeComment: expect.stringContaining("ended") });
  });
});

describe("extensions and the fields the access group requires", () => {
  it("refuses an extension without the change ID and governance code the group requires; with them it is accepted and recorded", async () => {
    await configuredAccessGroup(admin, {
      name: "it-ex fields",
      settings: { requiresChangeId: true, requiresGovernanceCode: true, autoGrantOnProvisioning: true },
      members: [await directoryGuid("it-ex-req")],
    });
    const r = await submitRequest(u["it-ex-req"], actorFor(u["it-ex-req"]), {
      privilegeId,
      durationMinutes: 30,
      justification: "extension test",
      changeId: "CHG-1",
      governanceCode: "GOV-1",
    });
    expect(await activateGrant(r.grantId!)).toBe("activated");
    const ask = (fields: { changeId?: string; governanceCode?: string }) =>
      extendGrant(u["it-ex-req"], actorFor(u["it-ex-req"]), { grantId: r.grantId!, minutes: 10, justification: "more", ...fields });

    await expect(ask({})).rejects.toMatchObject({
      code: "BAD_REQUEST",
      rule: "fields",
      message: expect.stringContaining("a change ID and a governance (ITSM) code"),
    });
    await expect(ask({ changeId: "CHG-2" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("a governance (ITSM) code") });
    expect((await grant(r.grantId!)).extendedMinutes).toBe(0);

    const ok = await ask({ changeId: "CHG-2", governanceCode: "GOV-2" });
    expect(ok.status).toBe("approved");
    expect((await grant(r.grantId!)).extendedMinutes).toBe(10);
    const [row] = await db.select().from(requests).where(eq(requests.id, ok.requestId));
    expect(row).toMatchObject({ kind: "extension", changeId: "CHG-2", governanceCode: "GOV-2" });
  });
});
