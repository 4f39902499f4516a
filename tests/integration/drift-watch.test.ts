import { eq, sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, driftFindings, driftLastCheck, driftWatchState } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { setDriftAction } from "@/server/drift/service";
import { startDriftWatch, type DriftWatch } from "@/server/drift/watch";
import { activateGrant } from "@/server/grants/activate";
import { scoped } from "@/server/logger";
import {
  actorFor,
  adAddMember,
  adminClient,
  ensureAdGroup,
  ensureAdUser,
  isDirectMember,
  localUser,
  openAccessGroup,
  publish,
  requestFor,
  resetDatabase,
  waitFor,
} from "./fixtures";

/*
 * The drift watcher against the real DC: a member added with a plain LDAP client, outside
 * Interim, is found within seconds by the watcher alone (no worker, no cron runs here: a full
 * reconcile would record drift_last_check, and nothing runs the jobs it would queue).
 */

const GROUP = "IT Drift Watch";
/** The bound of the item: a finding within 5 s of the change. */
const DETECTION_BOUND_MS = 5_000;

let admin: Client;
let groupDn: string;
let strayDn: string;
let boss: SessionUser;
let holder: SessionUser;
let privilegeId: string;
const running: DriftWatch[] = [];

const watch = () => {
  const w = startDriftWatch(scoped("test-drift-watch"), { intervalMs: 250, standbyMs: 250 });
  running.push(w);
  return w;
};
const storedState = async () => (await db.select().from(driftWatchState))[0];
/** Started, and past its baseline (taken before the test's change, so the change is news to it). */
async function watchFromNow() {
  const w = watch();
  await waitFor("the watcher's baseline", async () => (await storedState()) !== undefined, 10_000);
  return w;
}
const findingsFor = (memberDn: string) =>
  db
    .select()
    .from(driftFindings)
    .where(sql`lower(${driftFindings.memberDn}) = ${memberDn.toLowerCase()}`);
const reconcileJobs = async () =>
  (await db.execute<{ n: number }>(sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'grants__reconcile'`))[0]!.n;

beforeAll(async () => {
  admin = await adminClient();
  await ensureAdUser(admin, "it-dwatch-holder");
  strayDn = await ensureAdUser(admin, "it-dwatch-stray");
});
beforeEach(async () => {
  await resetDatabase();
  await db.delete(driftWatchState);
  groupDn = await ensureAdGroup(admin, GROUP);
  boss = await localUser("carol", true);
  holder = await localUser("it-dwatch-holder");
  privilegeId = (await publish(boss, GROUP, 60)).id;
  await openAccessGroup(boss, [holder]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
});
afterAll(async () => {
  await ensureAdGroup(admin, GROUP);
  await admin.unbind();
});

describe("drift watch (DirSync)", () => {
  it("finds a member added outside Interim within 5 s, and leaves it in AD under the default action", async () => {
    await watchFromNow();
    await adAddMember(admin, groupDn, strayDn);
    await waitFor("a finding for the hand-added member", async () => (await findingsFor(strayDn)).length > 0, DETECTION_BOUND_MS);
    const [finding] = await findingsFor(strayDn);
    expect(finding).toMatchObject({ kind: "standing", resolution: null, memberName: "it-dwatch-stray", privilegeId });
    const [alert] = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.drift_found"));
    expect(alert).toMatchObject({ actorType: "system", targetId: groupDn, data: { findingId: finding!.id } });
    expect(await isDirectMember(groupDn, strayDn)).toBe(true);
    // The watcher's own check of that group, not a full reconcile.
    expect(await db.select().from(driftLastCheck)).toEqual([]);
  });

  it("takes the member out at once where the privilege's drift action is remove", async () => {
    await setDriftAction(boss, actorFor(boss), { privilegeId, action: "remove" });
    await watchFromNow();
    await adAddMember(admin, groupDn, strayDn);
    await waitFor("the standing member removed", async () => (await findingsFor(strayDn))[0]?.resolution === "removed", DETECTION_BOUND_MS);
    expect(await isDirectMember(groupDn, strayDn)).toBe(false);
    const removed = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.standing_removed"));
    expect(removed).toHaveLength(1);
  });

  it("does not report the membership a grant made as drift", async () => {
    await watchFromNow();
    const { grantId } = await requestFor(holder, privilegeId);
    await activateGrant(grantId);
    expect(await isDirectMember(groupDn, holder.dn)).toBe(true);
    // A later change to the same group: once the watcher has seen it, it has seen the grant's too.
    await adAddMember(admin, groupDn, strayDn);
    await waitFor("a finding for the hand-added member", async () => (await findingsFor(strayDn)).length > 0, DETECTION_BOUND_MS);
    expect(await findingsFor(holder.dn)).toEqual([]);
    expect(await isDirectMember(groupDn, holder.dn)).toBe(true);
  });

  it("resumes from its stored cookie after a restart: a change made while it was down is found without a full reconcile", async () => {
    const first = await watchFromNow();
    await first.stop();
    // The first start's baseline queued one; a resume must queue none.
    await db.execute(sql`delete from graphile_worker._private_jobs`);
    await adAddMember(admin, groupDn, strayDn);
    watch();
    await waitFor("a finding for the member added while stopped", async () => (await findingsFor(strayDn)).length > 0, DETECTION_BOUND_MS);
    expect(await reconcileJobs()).toBe(0);
  });

  it("does not resume a cookie of another DC: takes a new baseline and leaves the gap to a full reconcile", async () => {
    const first = await watchFromNow();
    await first.stop();
    const own = (await storedState())!.dc;
    // A valid cookie, but (as far as the watcher can tell) another DC's: its numbers mean nothing here.
    await db.update(driftWatchState).set({ dc: "cn=ntds settings,cn=another-dc" });
    await db.execute(sql`delete from graphile_worker._private_jobs`);
    await adAddMember(admin, groupDn, strayDn);
    watch();
    await waitFor("a full reconcile queued", async () => (await reconcileJobs()) === 1, DETECTION_BOUND_MS);
    await waitFor("the new baseline stored", async () => (await storedState())?.dc === own, DETECTION_BOUND_MS);
    // The change before the baseline is the reconcile's to find, not the watcher's.
    expect(await findingsFor(strayDn)).toEqual([]);
  });

  it("takes a new baseline when the DC refuses the stored cookie", async () => {
    const first = await watchFromNow();
    await first.stop();
    const before = (await storedState())!;
    await db.update(driftWatchState).set({ cookie: Buffer.from("not a cookie").toString("base64") });
    await db.execute(sql`delete from graphile_worker._private_jobs`);
    watch();
    await waitFor("a full reconcile queued", async () => (await reconcileJobs()) === 1, DETECTION_BOUND_MS);
    await waitFor("a valid cookie stored", async () => (await storedState())!.cookie !== Buffer.from("not a cookie").toString("base64"), DETECTION_BOUND_MS);
    expect((await storedState())!.dc).toBe(before.dc);
    // And it watches again from there.
    await adAddMember(admin, groupDn, strayDn);
    await waitFor("a finding after the new baseline", async () => (await findingsFor(strayDn)).length > 0, DETECTION_BOUND_MS);
  });

  it("runs one leader among several workers; a standby takes over when the leader stops", async () => {
    const a = await watchFromNow();
    const b = watch();
    await waitFor("one leader", async () => a.leading() !== b.leading(), 5_000);
    // A standby stays a standby while the leader lives.
    await new Promise((r) => setTimeout(r, 1_000));
    expect([a.leading(), b.leading()].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = a.leading() ? [a, b] : [b, a];
    await leader.stop();
    await waitFor("the standby leads", async () => standby.leading(), 5_000);
    await adAddMember(admin, groupDn, strayDn);
    await waitFor("a finding by the new leader", async () => (await findingsFor(strayDn)).length > 0, DETECTION_BOUND_MS);
  });
});
