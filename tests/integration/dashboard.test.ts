import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { driftFindings, grants, privileges, requests } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { dashboardSummary, dashboardTimeline } from "@/server/dashboard/service";
import { localUser, resetDatabase, trpcHttp } from "./fixtures";

/*
 * The administration dashboard's aggregates over grants and requests seeded with known times
 * around a pinned "now": the hourly and six-hourly buckets of active grants (including grants still
 * active), the expiry-lag and latency percentiles, requests per day by outcome, the top list.
 */

const NOW = new Date("2026-03-10T12:30:00Z");
const at = (iso: string) => new Date(`2026-03-${iso}Z`);
const hour = (h: string) => at(`10T${h}:00:00`).getTime();

let carol: SessionUser;
let requester: SessionUser;
let names = 0;

async function privilege(name: string) {
  const [p] = await db
    .insert(privileges)
    .values({ name, groupDn: `CN=${name},OU=Dash`, groupGuid: `guid-${name}`, maxDurationMinutes: 60, defaultDurationMinutes: 5 })
    .returning();
  return p!.id;
}

type RequestRow = typeof requests.$inferInsert;
async function request(privilegeId: string, createdAt: Date, status: RequestRow["status"], extra: Partial<RequestRow> = {}) {
  const [r] = await db
    .insert(requests)
    .values({ requesterId: requester.id, privilegeId, targetDn: requester.dn, durationMinutes: 60, createdAt, status, ...extra })
    .returning();
  return r!.id;
}

type GrantRow = typeof grants.$inferInsert;
/** A grant (with its approved request) at the given times; member GUIDs are unique per grant, as live grants must be. */
async function grant(privilegeId: string, g: Partial<GrantRow> & Pick<GrantRow, "state" | "createdAt">) {
  const requestId = await request(privilegeId, g.createdAt!, "approved");
  names += 1;
  await db.insert(grants).values({
    requestId,
    userId: requester.id,
    privilegeId,
    memberGuid: `member-${names}`,
    memberDn: `CN=member-${names}`,
    groupGuid: "guid-group",
    groupDn: "CN=group",
    durationSeconds: 3600,
    ...g,
  });
}

let pA: string;
let pB: string;
let pC: string;

beforeAll(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  requester = await localUser("alice");
  pA = await privilege("Dash A");
  pB = await privilege("Dash B");
  pC = await privilege("Dash C");

  // G1: 09:15:02–10:45, due 09:15:00 (latency 2 s), expired 10 s after its expiry.
  await grant(pA, {
    state: "expired",
    endReason: "expired",
    createdAt: at("10T09:15:00"),
    activatedAt: at("10T09:15:02"),
    expiresAt: at("10T10:44:50"),
    removedAt: at("10T10:45:00"),
  });
  // G2: still active since 10:10 (latency 60 s).
  await grant(pA, { state: "active", createdAt: at("10T10:09:00"), activatedAt: at("10T10:10:00"), expiresAt: at("10T13:10:00") });
  // G3: active since two days before: in every bucket.
  await grant(pB, { state: "active", createdAt: at("08T00:00:00"), activatedAt: at("08T00:00:00"), expiresAt: at("11T00:00:00") });
  // G4: revoked at 11:30 before its expiry (latency 60 s): no expiry lag.
  await grant(pB, {
    state: "revoked",
    endReason: "revoked",
    createdAt: at("10T10:59:00"),
    activatedAt: at("10T11:00:00"),
    expiresAt: at("10T12:00:00"),
    removedAt: at("10T11:30:00"),
  });
  // G5: scheduled for 11:20, created at 08:00, active at 11:20:30: latency 30 s from its start, not from its creation.
  await grant(pC, { state: "active", createdAt: at("10T08:00:00"), startsAt: at("10T11:20:00"), activatedAt: at("10T11:20:30"), expiresAt: at("10T14:00:00") });
  // G6: 10:00–10:50, due 09:59:59 (latency 1 s), removed 100 s after its expiry.
  await grant(pA, {
    state: "expired",
    endReason: "expired",
    createdAt: at("10T09:59:59"),
    activatedAt: at("10T10:00:00"),
    expiresAt: at("10T10:48:20"),
    removedAt: at("10T10:50:00"),
  });
  // G7: failed, never active.
  await grant(pC, { state: "failed", createdAt: at("10T10:00:00") });
  // G8: the day before, ended before the 24-hour window starts (13:00 on the 9th).
  await grant(pC, {
    state: "expired",
    endReason: "expired",
    createdAt: at("09T10:00:00"),
    activatedAt: at("09T10:00:00"),
    expiresAt: at("09T11:59:00"),
    removedAt: at("09T12:00:00"),
  });
  // G9: activated after "now": not yet.
  await grant(pC, { state: "active", createdAt: at("10T12:40:00"), activatedAt: at("10T12:40:00"), expiresAt: at("10T13:40:00") });

  // Requests without grants: by day and outcome, and for the top list.
  await request(pB, at("09T08:00:00"), "denied");
  await request(pB, at("09T09:00:00"), "denied");
  await request(pC, at("10T07:00:00"), "cancelled");
  await request(pC, at("05T07:00:00"), "expired");
  await request(pC, at("10T12:00:00"), "pending");
  await request(pA, at("10T12:05:00"), "approved", { emergency: true });
  await request(pA, at("10T12:06:00"), "approved", { emergency: true, reviewedAt: at("10T12:20:00") });
  await request(pA, at("10T13:00:00"), "denied"); // after now
  await request(pA, new Date("2026-02-20T10:00:00Z"), "denied"); // before the 14 days
  await request(pC, at("10T11:30:00"), "approved", { kind: "extension" }); // not a new ask
  for (let i = 0; i < 10; i += 1) await request(await privilege(`Dash z${String(i).padStart(2, "0")}`), at("03T10:00:00"), "approved");
  // 40 days before: outside the top list's 30 days (and every chart).
  for (let i = 0; i < 12; i += 1) await request(pB, new Date(NOW.getTime() - 40 * 86400_000), "approved");

  await db.insert(driftFindings).values([
    { privilegeId: pA, groupGuid: "g", groupDn: "CN=g", memberGuid: "m1", memberDn: "CN=m1", memberName: "m1", memberClass: "user", kind: "standing" },
    {
      privilegeId: pA,
      groupGuid: "g",
      groupDn: "CN=g",
      memberGuid: "m2",
      memberDn: "CN=m2",
      memberName: "m2",
      memberClass: "user",
      kind: "standing",
      resolution: "accepted",
      resolvedAt: NOW,
    },
  ]);
});

describe("dashboard timeline", () => {
  it("counts the grants active in each hour of the last 24, grants still active included", async () => {
    const t = await dashboardTimeline(carol, { range: "24h" }, NOW);
    expect(t.activeGrants).toHaveLength(24);
    expect(t.activeGrants[0]!.start).toBe(at("09T13:00:00").getTime());
    expect(t.activeGrants[23]!.start).toBe(hour("12"));
    const byHour = Object.fromEntries(t.activeGrants.map((p) => [p.start, p.active]));
    expect(byHour[hour("08")]).toBe(1); // G3 alone
    expect(byHour[hour("09")]).toBe(2); // G3, G1
    expect(byHour[hour("10")]).toBe(4); // G3, G1, G2, G6
    expect(byHour[hour("11")]).toBe(4); // G3, G2, G4, G5
    expect(byHour[hour("12")]).toBe(3); // G3, G2, G5 (G9 comes after now)
    expect(byHour[at("09T13:00:00").getTime()]).toBe(1); // G8 ended at 12:00
  });

  it("gives p50/p95 of the grant latency and the expiry lag per hour", async () => {
    const t = await dashboardTimeline(carol, { range: "24h" }, NOW);
    const latency = Object.fromEntries(t.grantLatency.map((p) => [p.start, p]));
    expect(latency[hour("09")]).toEqual({ start: hour("09"), count: 1, p50: 2, p95: 2 });
    expect(latency[hour("10")]).toMatchObject({ count: 2, p50: 30.5 });
    expect(latency[hour("10")]!.p95).toBeCloseTo(57.05, 6);
    // G5 counts from its scheduled start (30 s), not from its creation at 08:00.
    expect(latency[hour("11")]).toMatchObject({ count: 2, p50: 45 });
    expect(latency[hour("11")]!.p95).toBeCloseTo(58.5, 6);
    expect(latency[hour("12")]).toEqual({ start: hour("12"), count: 0, p50: null, p95: null });

    const lag = t.expiryLag.filter((p) => p.count > 0);
    // Only expired grants: G4's revoke before its expiry is no lag.
    expect(lag).toHaveLength(1);
    expect(lag[0]).toMatchObject({ start: hour("10"), count: 2, p50: 55 });
    expect(lag[0]!.p95).toBeCloseTo(95.5, 6);
  });

  it("uses six-hour buckets over the last 7 days", async () => {
    const t = await dashboardTimeline(carol, { range: "7d" }, NOW);
    expect(t.activeGrants).toHaveLength(28);
    expect(t.activeGrants[27]!.start).toBe(hour("12"));
    expect(t.activeGrants[0]!.start).toBe(at("03T18:00:00").getTime());
    const byStart = Object.fromEntries(t.activeGrants.map((p) => [p.start, p.active]));
    expect(byStart[hour("06")]).toBe(6); // G1–G6 but G7 (failed)
    expect(byStart[at("09T06:00:00").getTime()]).toBe(2); // G3, G8
    expect(byStart[at("07T18:00:00").getTime()]).toBe(0);
    expect(byStart[at("08T00:00:00").getTime()]).toBe(1);
  });
});

describe("dashboard summary", () => {
  it("counts requests per day by outcome over 14 days", async () => {
    const s = await dashboardSummary(carol, NOW);
    expect(s.outcomes).toHaveLength(14);
    expect(s.outcomes[0]!.start).toBe(at("10T00:00:00").getTime() - 13 * 86400_000);
    const day = (d: string) => s.outcomes.find((p) => p.start === at(`${d}T00:00:00`).getTime());
    // 10th: G1, G2, G4, G5, G6, G7 (not G9: after now), 2 emergencies and the extension approved; 1 cancelled, 1 pending.
    expect(day("10")).toEqual({ start: at("10T00:00:00").getTime(), pending: 1, approved: 9, denied: 0, cancelled: 1, failed: 0, expired: 0 });
    expect(day("09")).toMatchObject({ approved: 1, denied: 2 });
    expect(day("05")).toMatchObject({ approved: 0, expired: 1 });
    expect(day("03")).toMatchObject({ approved: 10 });
    expect(day("08")).toMatchObject({ approved: 1 });
    expect(s.outcomes.reduce((n, p) => n + p.denied, 0)).toBe(2);
  });

  it("lists the ten most requested privileges of the last 30 days", async () => {
    const s = await dashboardSummary(carol, NOW);
    expect(s.topPrivileges).toHaveLength(10);
    // A: G1, G2, G6, 2 emergencies and the denial of 20 February (not the one after now);
    // C: G5, G7, G8, cancelled, expired, pending (not the extension, not G9): a tie, by name.
    expect(s.topPrivileges.slice(0, 3)).toEqual([
      { privilegeId: pA, name: "Dash A", requests: 6, approved: 5 },
      { privilegeId: pC, name: "Dash C", requests: 6, approved: 3 },
      { privilegeId: pB, name: "Dash B", requests: 4, approved: 2 },
    ]);
    expect(s.topPrivileges.slice(3).map((p) => p.name)).toEqual(["Dash z00", "Dash z01", "Dash z02", "Dash z03", "Dash z04", "Dash z05", "Dash z06"]);
  });

  it("counts open drift findings, unreviewed emergencies, active grants and pending requests", async () => {
    const s = await dashboardSummary(carol, NOW);
    expect(s.counts).toEqual({ activeGrants: 4, pendingRequests: 1, openDriftFindings: 1, unreviewedEmergencies: 1 });
  });

  it("is for administrators only, in the service and through the procedures", async () => {
    await expect(dashboardSummary(requester)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(dashboardTimeline(requester, { range: "24h" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await trpcHttp(requester, "dashboard.summary", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await trpcHttp({ ...carol, isAdmin: false }, "dashboard.timeline", { range: "24h" }, { query: true })).toMatchObject({ ok: true });
    expect(await trpcHttp({ ...carol, isAdmin: false }, "dashboard.timeline", { range: "1y" }, { query: true })).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
    });
  });
});
