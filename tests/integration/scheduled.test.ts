import type { Client } from "ldapts";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { grants, requests } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { requeueStuckActivations } from "@/server/grants/watchdog";
import { reconcile } from "@/server/grants/reconcile";
import { endGrant } from "@/server/grants/service";
import { jobKeys } from "@/server/jobs/enqueue";
import { submitRequest } from "@/server/requests/service";
import {
  actorFor,
  adAddMember,
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
 * Scheduled requests (issue 4): access that starts at a future time. The activation is a job at
 * that time; nothing reaches AD before it; the group's limits are checked for the start time.
 * Also the "outside usual hours" flag.
 */

let ad: Client;
let admin: SessionUser;
let requester: SessionUser;
let privilegeId: string;
let groupDn: string;

beforeAll(async () => {
  ad = await adminClient();
  await ensureAdUser(ad, "it-sc-req");
});
beforeEach(async () => {
  groupDn = await ensureAdGroup(ad, "it-sc-priv");
  await resetDatabase();
  admin = await localUser("carol", true);
  requester = await localUser("it-sc-req");
  privilegeId = (await publishNamed(admin, "it-sc-priv", "SC Privilege")).id;
});
afterAll(async () => {
  await ad.unbind();
});

const hh = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, "0")}:00`;
const ask = (startsAt: Date | null, extra: { emergency?: boolean } = {}) =>
  submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 30, justification: "scheduled test", startsAt, ...extra });

async function openGroup(extra: Parameters<typeof configuredAccessGroup>[1]["settings"] = {}, limits?: Parameters<typeof configuredAccessGroup>[1]["limits"]) {
  return configuredAccessGroup(admin, {
    name: "it-sc group",
    settings: { autoGrantOnProvisioning: true, allowsEmergencyAccess: true, ...extra },
    limits,
    members: [await directoryGuid("it-sc-req")],
  });
}

describe("scheduled requests", () => {
  it("queues the activation at the start time and does not touch AD before it", async () => {
    await openGroup();
    const startsAt = new Date(Date.now() + 10 * 60_000);
    const r = await ask(startsAt);
    expect(r.status).toBe("approved");
    const [g] = await db.select().from(grants).where(eq(grants.id, r.grantId!));
    expect(g).toMatchObject({ state: "pending", startsAt });
    const [job] = await db.execute<{ run_at: string | Date }>(sql`select run_at from graphile_worker.jobs where key = ${jobKeys.activate(r.grantId!)}`);
    expect(new Date(job!.run_at).getTime()).toBe(startsAt.getTime());

    // Whoever runs the job early, the claim refuses; a lost job is not re-queued before the start either.
    expect(await activateGrant(r.grantId!)).toBe("nothing-to-do");
    expect(await isDirectMember(groupDn, g!.memberDn)).toBe(false);
    await db.execute(sql`update grants set updated_at = now() - interval '1 hour' where id = ${r.grantId}`);
    await db.execute(sql`delete from graphile_worker._private_jobs`);
    expect(await requeueStuckActivations()).toBe(0);

    // The start time comes: activation works, and the clock starts then.
    await db
      .update(grants)
      .set({ startsAt: new Date(Date.now() - 1000) })
      .where(eq(grants.id, r.grantId!));
    expect(await activateGrant(r.grantId!)).toBe("activated");
    expect(await isDirectMember(groupDn, g!.memberDn)).toBe(true);
    const [active] = await db.select().from(grants).where(eq(grants.id, r.grantId!));
    expect(active!.expiresAt!.getTime() - active!.activatedAt!.getTime()).toBe(30 * 60_000);
  });

  it("does not let a grant scheduled for later shelter a membership that outlived its grant", async () => {
    await openGroup();
    const first = await ask(null);
    expect(await activateGrant(first.grantId!)).toBe("activated");
    const [g] = await db.select().from(grants).where(eq(grants.id, first.grantId!));
    await endGrant(requester, actorFor(requester), first.grantId!, "ended_early");
    await sweepExpired();
    // Someone puts the account back by hand; a grant for tomorrow exists.
    await adAddMember(ad, groupDn, g!.memberDn);
    await ask(new Date(Date.now() + 86_400_000));
    const result = await reconcile();
    expect(result.orphansRemoved).toBe(1);
    expect(await isDirectMember(groupDn, g!.memberDn)).toBe(false);
  });

  it("refuses a start in the past, too far ahead, or for emergency access", async () => {
    await openGroup();
    await expect(ask(new Date(Date.now() - 5 * 60_000))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("start time has passed"),
    });
    await expect(ask(new Date(Date.now() + 31 * 86_400_000))).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("30 days") });
    await expect(ask(new Date(Date.now() + 3_600_000), { emergency: true })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("cannot be scheduled"),
    });
  });

  it("checks the group's time window at the start time, not now", async () => {
    // A one-hour window starting two hours from now (UTC): refused now, allowed when scheduled into it.
    const startHour = new Date().getUTCHours() + 2;
    await openGroup({}, { windows: [{ start: hh(startHour), end: hh(startHour + 1) }] });
    await expect(ask(null)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("hours") });
    const inWindow = new Date();
    inWindow.setUTCHours(startHour, 5, 0, 0);
    if (inWindow.getTime() < Date.now()) inWindow.setTime(inWindow.getTime() + 86_400_000);
    const r = await ask(inWindow);
    const [g] = await db.select().from(grants).where(eq(grants.id, r.grantId!));
    // The window closes 55 minutes after the start: the 30-minute grant fits.
    expect(g!.notAfter!.getTime()).toBe(inWindow.getTime() + 55 * 60_000);
  });
});

describe("outside usual hours", () => {
  it("flags a request made outside the group's usual hours, not one inside them", async () => {
    const now = new Date().getUTCHours();
    const g = await openGroup({ usualDays: [1, 2, 3, 4, 5, 6, 7], usualHours: { start: hh(now + 3), end: hh(now + 4) } });
    const outside = await ask(null);
    const [row] = await db.select().from(requests).where(eq(requests.id, outside.requestId));
    expect(row!.outsideUsualHours).toBe(true);

    await db.execute(
      sql`update access_groups set settings = settings || ${JSON.stringify({ usualHours: { start: hh(now), end: hh(now + 1) } })}::jsonb, version = version + 1 where id = ${g.id}`,
    );
    await db.update(grants).set({ state: "revoked" }).where(eq(grants.id, outside.grantId!));
    const inside = await ask(null);
    const [row2] = await db.select().from(requests).where(eq(requests.id, inside.requestId));
    expect(row2!.outsideUsualHours).toBe(false);
  });
});
