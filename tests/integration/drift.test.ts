import type { Client } from "ldapts";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, driftFindings } from "@/db/schema";
import { verifyAuditChain } from "@/server/audit/service";
import type { SessionUser } from "@/server/auth/permissions";
import { findUser } from "@/server/directory/service";
import { acceptFinding, driftStatus, listFindings, removeFinding, requestDriftCheck, setDriftAction } from "@/server/drift/service";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { reconcile } from "@/server/grants/reconcile";
import {
  actorFor,
  adAddMember,
  adminClient,
  adRemoveMember,
  ensureAdGroup,
  ensureAdUser,
  isDirectMember,
  localUser,
  openAccessGroup,
  publish,
  requestFor,
  resetDatabase,
  trpcHttp,
} from "./fixtures";

const GROUP = "IT Drift Test";
const NESTED = "IT Drift Nested";

let admin: Client;
let groupDn: string;
let nestedDn: string;
let boss: SessionUser;
let holder: SessionUser;
let strayDn: string;
let strayGuid: string;
let privilegeId: string;

beforeAll(async () => {
  admin = await adminClient();
  await ensureAdUser(admin, "it-drift-holder");
  strayDn = await ensureAdUser(admin, "it-drift-stray");
  strayGuid = (await findUser("it-drift-stray"))!.objectGuid;
});
beforeEach(async () => {
  await resetDatabase();
  groupDn = await ensureAdGroup(admin, GROUP);
  nestedDn = await ensureAdGroup(admin, NESTED);
  boss = await localUser("carol", true);
  holder = await localUser("it-drift-holder");
  privilegeId = (await publish(boss, GROUP, 60)).id;
  await openAccessGroup(boss, [holder]);
});
afterAll(async () => {
  await admin.unbind();
});

const findingsFor = (memberDn: string) =>
  db
    .select()
    .from(driftFindings)
    .where(sql`lower(${driftFindings.memberDn}) = ${memberDn.toLowerCase()}`)
    .orderBy(driftFindings.firstSeenAt);

const events = (action: string) => db.select().from(auditEvents).where(eq(auditEvents.action, action));

async function removeStandingAutomatically() {
  await setDriftAction(boss, actorFor(boss), { privilegeId, action: "remove" });
}

describe("drift: standing access", () => {
  it("records a hand-added member as standing, alerts once, and leaves it in AD by default", async () => {
    await adAddMember(admin, groupDn, strayDn);
    const first = await reconcile();
    expect(first).toMatchObject({ driftFound: 1, standingRemoved: 0, orphansRemoved: 0, errors: [] });
    const [finding] = await findingsFor(strayDn);
    expect(finding).toMatchObject({
      kind: "standing",
      memberName: "it-drift-stray",
      memberClass: "user",
      memberGuid: strayGuid,
      resolution: null,
      note: null,
      privilegeId,
    });

    // The next run refreshes it; no second alert, still in AD.
    expect((await reconcile()).driftFound).toBe(0);
    const [again] = await findingsFor(strayDn);
    expect(again!.id).toBe(finding!.id);
    expect(again!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(finding!.lastSeenAt.getTime());
    expect(await isDirectMember(groupDn, strayDn)).toBe(true);
    const found = await events("directory.drift_found");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      actorType: "system",
      targetId: groupDn,
      data: { kind: "standing", memberName: "it-drift-stray", findingId: finding!.id },
    });
    expect((await driftStatus(boss)).openCount).toBe(1);
  });

  it("removes standing access at the next run once the admin chose so, audited", async () => {
    await adAddMember(admin, groupDn, strayDn);
    await reconcile();
    await removeStandingAutomatically();
    const [changed] = await events("drift.settings_changed");
    expect(changed).toMatchObject({ actorName: "carol", targetId: privilegeId, data: { before: "alert", after: "remove" } });

    expect((await reconcile()).standingRemoved).toBe(1);
    expect(await isDirectMember(groupDn, strayDn)).toBe(false);
    const [finding] = await findingsFor(strayDn);
    expect(finding).toMatchObject({ resolution: "removed", resolvedBy: null });
    expect(finding!.clearedAt).not.toBeNull();
    const [removed] = await events("directory.standing_removed");
    expect(removed).toMatchObject({ actorType: "system", targetId: groupDn, data: { memberName: "it-drift-stray", findingId: finding!.id } });
    expect((await driftStatus(boss)).openCount).toBe(0);
  });

  it("a membership that was there before a grant is standing after the grant ends, not an orphan", async () => {
    const holderDn = holder.dn;
    await adAddMember(admin, groupDn, holderDn);
    const { grantId } = await requestFor(holder, privilegeId);
    await activateGrant(grantId);
    // While the grant is live it explains the membership: nothing new is raised.
    expect((await reconcile()).driftFound).toBe(0);
    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    await sweepExpired();
    const result = await reconcile();
    expect(result).toMatchObject({ orphansRemoved: 0, driftFound: 1 });
    expect(await findingsFor(holderDn)).toMatchObject([{ kind: "standing", resolution: null }]);
    expect(await isDirectMember(groupDn, holderDn)).toBe(true);
  });

  it("a grant that found the member already there owns the membership once that one was taken out and reconcile put it back", async () => {
    // The race of a removal (drift, by hand) with a grant whose first add saw "already a member".
    await adAddMember(admin, groupDn, holder.dn);
    const { grantId } = await requestFor(holder, privilegeId);
    await activateGrant(grantId);
    await adRemoveMember(admin, groupDn, holder.dn);
    expect(await reconcile()).toMatchObject({ reapplied: 1, driftFound: 0 });
    expect(await isDirectMember(groupDn, holder.dn)).toBe(true);
    // Its end now removes it: the standing membership it found is gone, this one is the grant's.
    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    await sweepExpired();
    expect(await isDirectMember(groupDn, holder.dn)).toBe(false);
    expect((await reconcile()).driftFound).toBe(0);
  });

  it("resolves a finding as gone when the member leaves the group some other way", async () => {
    await adAddMember(admin, groupDn, strayDn);
    await reconcile();
    await adRemoveMember(admin, groupDn, strayDn);
    await reconcile();
    const [finding] = await findingsFor(strayDn);
    expect(finding).toMatchObject({ resolution: "gone" });
    expect(finding!.clearedAt).not.toBeNull();
    // Back again: a new finding, alerted again.
    await adAddMember(admin, groupDn, strayDn);
    expect((await reconcile()).driftFound).toBe(1);
    expect((await findingsFor(strayDn)).map((f) => f.resolution)).toEqual(["gone", null]);
  });

  it("keeps an accepted finding accepted across runs, even with automatic removal, until the member leaves", async () => {
    await adAddMember(admin, groupDn, strayDn);
    await reconcile();
    const [finding] = await findingsFor(strayDn);
    await acceptFinding(boss, actorFor(boss), { findingId: finding!.id });
    await removeStandingAutomatically();
    for (let i = 0; i < 2; i++) expect(await reconcile()).toMatchObject({ driftFound: 0, standingRemoved: 0 });
    expect(await isDirectMember(groupDn, strayDn)).toBe(true);
    expect(await findingsFor(strayDn)).toMatchObject([{ id: finding!.id, resolution: "accepted", clearedAt: null }]);
    expect(await events("drift.finding_accepted")).toHaveLength(1);
    expect((await driftStatus(boss)).openCount).toBe(0);
    expect((await listFindings(boss)).map((f) => [f.memberName, f.resolution, f.resolvedBy])).toEqual([["it-drift-stray", "accepted", "carol"]]);

    // It leaves and comes back: the acceptance ended with it, so the new membership is removed.
    await adRemoveMember(admin, groupDn, strayDn);
    await reconcile();
    await adAddMember(admin, groupDn, strayDn);
    expect(await reconcile()).toMatchObject({ driftFound: 1, standingRemoved: 1 });
    expect(await isDirectMember(groupDn, strayDn)).toBe(false);
    expect((await findingsFor(strayDn)).map((f) => f.resolution)).toEqual(["accepted", "removed"]);
  });

  it("never removes a nested group automatically", async () => {
    await adAddMember(admin, groupDn, nestedDn);
    await removeStandingAutomatically();
    expect(await reconcile()).toMatchObject({ driftFound: 1, standingRemoved: 0 });
    expect(await reconcile()).toMatchObject({ driftFound: 0, standingRemoved: 0 });
    expect(await isDirectMember(groupDn, nestedDn)).toBe(true);
    const [finding] = await findingsFor(nestedDn);
    expect(finding).toMatchObject({ kind: "standing", memberClass: "group", resolution: null });
    expect(finding!.note).toMatch(/nested group/i);
  });

  it("never removes Interim's service account automatically", async () => {
    const serviceDn = process.env.LDAP_BIND_DN!;
    await adAddMember(admin, groupDn, serviceDn);
    await removeStandingAutomatically();
    expect((await reconcile()).standingRemoved).toBe(0);
    expect(await isDirectMember(groupDn, serviceDn)).toBe(true);
    expect((await findingsFor(serviceDn))[0]!.note).toMatch(/service account/i);
    await adRemoveMember(admin, groupDn, serviceDn);
  });
});

describe("drift: memberships that outlived their grant", () => {
  it("removes them and records the finding as removed", async () => {
    const { grantId } = await requestFor(holder, privilegeId);
    await activateGrant(grantId);
    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    await sweepExpired();
    await adAddMember(admin, groupDn, holder.dn);
    expect(await reconcile()).toMatchObject({ orphansRemoved: 1, driftFound: 1 });
    expect(await isDirectMember(groupDn, holder.dn)).toBe(false);
    expect(await findingsFor(holder.dn)).toMatchObject([{ kind: "outlived", resolution: "removed" }]);
    const [orphan] = await events("directory.orphan_removed");
    expect(orphan?.data).toMatchObject({ lastGrantId: grantId });
    const [found] = await events("directory.drift_found");
    expect(found?.data).toMatchObject({ kind: "outlived" });
  });
});

describe("drift: admin decisions", () => {
  it("Remove now takes the member out of AD, resolves the finding and audits it", async () => {
    await adAddMember(admin, groupDn, strayDn);
    await reconcile();
    const [finding] = await findingsFor(strayDn);
    await removeFinding(boss, actorFor(boss), { findingId: finding!.id });
    expect(await isDirectMember(groupDn, strayDn)).toBe(false);
    expect(await findingsFor(strayDn)).toMatchObject([{ resolution: "removed", resolvedBy: boss.id }]);
    const [removed] = await events("drift.member_removed");
    expect(removed).toMatchObject({ actorName: "carol", targetId: groupDn, data: { memberDn: finding!.memberDn, kind: "standing" } });
    // Twice is refused rather than repeated.
    await expect(removeFinding(boss, actorFor(boss), { findingId: finding!.id })).rejects.toMatchObject({ code: "CONFLICT" });
    // The next run has nothing to say about it.
    expect(await reconcile()).toMatchObject({ driftFound: 0 });
  });

  it("Remove now is refused while a grant holds the membership", async () => {
    await adAddMember(admin, groupDn, holder.dn);
    await reconcile();
    const [finding] = await findingsFor(holder.dn);
    const { grantId } = await requestFor(holder, privilegeId);
    await activateGrant(grantId);
    await expect(removeFinding(boss, actorFor(boss), { findingId: finding!.id })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await isDirectMember(groupDn, holder.dn)).toBe(true);
  });

  it("an outlived membership cannot be accepted", async () => {
    await adAddMember(admin, groupDn, strayDn);
    await reconcile();
    const [finding] = await findingsFor(strayDn);
    await db.update(driftFindings).set({ kind: "outlived" }).where(eq(driftFindings.id, finding!.id));
    await expect(acceptFinding(boss, actorFor(boss), { findingId: finding!.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("Check now queues the reconcile job (one, however often it is clicked)", async () => {
    await requestDriftCheck(boss, actorFor(boss));
    await requestDriftCheck(boss, actorFor(boss));
    const jobs = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker.jobs where key = 'grants-reconcile' and task_identifier = 'grants__reconcile'`,
    );
    expect(jobs[0]?.n).toBe(1);
    expect((await driftStatus(boss)).checking).toBe(true);
  });

  it("records the last check and the groups it could not read", async () => {
    const goneDn = await ensureAdGroup(admin, "IT Drift Gone");
    await publish(boss, "IT Drift Gone", 60);
    await admin.del(goneDn);
    await reconcile();
    const { lastCheck } = await driftStatus(boss);
    expect(lastCheck).toMatchObject({ groupsChecked: 1, errors: [{ groupDn: goneDn }] });
  });

  it("is for administrators only", async () => {
    const stranger = await localUser("it-drift-stray");
    expect(await trpcHttp(stranger, "drift.findings", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await trpcHttp(stranger, "drift.status", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await trpcHttp({ ...stranger, isAdmin: true }, "drift.setAction", { privilegeId, action: "remove" })).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
    expect(await trpcHttp({ ...stranger, isAdmin: true }, "drift.check", undefined)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    await expect(setDriftAction({ ...stranger, isAdmin: false }, actorFor(stranger), { privilegeId, action: "remove" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    // An admin gets through, and bad input comes back as field errors.
    expect(await trpcHttp(boss, "drift.status", undefined, { query: true })).toMatchObject({ ok: true });
    expect(await trpcHttp(boss, "drift.setAction", { privilegeId, action: "delete" })).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      fieldErrors: { action: [expect.any(String)] },
    });
    const settings = await db.execute<{ n: number }>(sql`select count(*)::int as n from privilege_drift_settings`);
    expect(settings[0]?.n).toBe(0);
  });

  it("keeps the audit chain intact through it all", async () => {
    await adAddMember(admin, groupDn, strayDn);
    await reconcile();
    await removeStandingAutomatically();
    await reconcile();
    expect((await verifyAuditChain(db)).problems).toEqual([]);
    const rows = await db
      .select()
      .from(driftFindings)
      .where(and(eq(driftFindings.groupDn, groupDn)));
    expect(rows).toHaveLength(1);
  });
});
