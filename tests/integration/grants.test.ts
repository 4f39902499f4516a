import type { Client } from "ldapts";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { db } from "@/db";
import { auditEvents, directoryOutages, grants, requests } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit, verifyAuditChain } from "@/server/audit/service";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { MAX_ACTIVATION_ATTEMPTS } from "@/server/grants/timing";
import { reconcile } from "@/server/grants/reconcile";
import { serviceConnection } from "@/server/directory/connection";
import { setOutageKnown } from "@/server/directory/outages";
import { findUser, removeMembers } from "@/server/directory/service";
import { resetEnvForTests } from "@/server/env";
import { endGrant } from "@/server/grants/service";
import { submitRequest } from "@/server/requests/service";
import {
  actorFor,
  adAddMember,
  adminClient,
  asTableOwner,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  isDirectMember,
  localUser,
  publish,
  requestFor,
  openAccessGroup,
  resetDatabase,
  TEST_OU,
  waitFor,
} from "./fixtures";

let admin: Client;
let groupDn: string;
let requester: SessionUser;
let other: SessionUser;
let boss: SessionUser;
let privilegeId: string;
let groupGuid: string;
let requesterGuid: string;

beforeAll(async () => {
  admin = await adminClient();
  groupDn = await ensureAdGroup(admin, "IT Grant Test");
  await ensureAdUser(admin, "it-req");
  await ensureAdUser(admin, "it-other");
});
beforeEach(async () => {
  await resetDatabase();
  await ensureAdGroup(admin, "IT Grant Test");
  requester = await localUser("it-req");
  other = await localUser("it-other");
  boss = await localUser("carol", true);
  const privilege = await publish(boss, "IT Grant Test", 60);
  privilegeId = privilege.id;
  groupGuid = privilege.groupGuid;
  requesterGuid = (await findUser("it-req"))!.objectGuid;
  await openAccessGroup(boss, [requester, other]);
});
afterAll(async () => {
  await admin.unbind();
});

async function expireNow(grantId: string) {
  await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
}

/** The requester held the privilege and it expired normally: in AD, then removed. */
async function grantedThenExpired(): Promise<string> {
  const { grantId } = await requestFor(requester, privilegeId);
  await activateGrant(grantId);
  await expireNow(grantId);
  await sweepExpired();
  return grantId;
}

describe("grant lifecycle against AD", () => {
  it("activation puts the account in the group; expiry takes it out", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    expect(await activateGrant(grantId)).toBe("activated");
    expect(await isDirectMember(groupDn, requester.dn)).toBe(true);
    const active = await grantRow(grantId);
    expect(active.state).toBe("active");
    // The clock started at activation: one minute from then.
    expect(active.expires_at!.getTime() - Date.now()).toBeGreaterThan(50_000);

    await expireNow(grantId);
    const sweep = await sweepExpired();
    expect(sweep).toMatchObject({ claimed: 1, removed: 1, failed: 0 });
    expect(await isDirectMember(groupDn, requester.dn)).toBe(false);
    expect(await grantRow(grantId)).toMatchObject({ state: "expired", end_reason: "expired" });
  });

  it("double activation is harmless, concurrent or repeated", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    const outcomes = await Promise.all([activateGrant(grantId), activateGrant(grantId), activateGrant(grantId)]);
    expect(outcomes.filter((o) => o === "activated")).toHaveLength(1);
    expect(await activateGrant(grantId)).toBe("nothing-to-do");
    const provisioning = await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.provisioning"));
    expect(provisioning).toHaveLength(1);
    expect(await grantRow(grantId)).toMatchObject({ state: "active", attempts: 1 });
  });

  it("an account already in the group (AD says 68) activates, and keeps that standing membership at expiry", async () => {
    await adAddMember(admin, groupDn, requester.dn);
    const { grantId } = await requestFor(requester, privilegeId);
    expect(await activateGrant(grantId)).toBe("activated");
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.activated"));
    expect(event?.data).toMatchObject({ alreadyMember: true });
    await expireNow(grantId);
    expect((await sweepExpired()).removed).toBe(1);
    expect(await isDirectMember(groupDn, requester.dn)).toBe(true);
    const [removed] = await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.removed"));
    expect(removed?.data).toMatchObject({ keptPreExisting: true });
    // …and reconcile does not call it an orphan either.
    expect((await reconcile()).orphansRemoved).toBe(0);
  });

  it("removes a moved account at expiry: members are addressed by GUID, not by a stale DN", async () => {
    const movedOu = `OU=Moved,${TEST_OU}`;
    await admin.add(movedOu, { objectClass: ["top", "organizationalUnit"], ou: "Moved" }).catch(() => {});
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    await admin.modifyDN(requester.dn, `CN=it-req,${movedOu}`);
    try {
      await expireNow(grantId);
      expect((await sweepExpired()).removed).toBe(1);
      expect(await isDirectMember(groupDn, `CN=it-req,${movedOu}`)).toBe(false);
      const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.removed"));
      expect(event?.data).toMatchObject({ alreadyAbsent: false });
    } finally {
      await admin.modifyDN(`CN=it-req,${movedOu}`, requester.dn);
    }
  });

  it("a revoke that arrives while provisioning fails ends the grant instead of retrying it", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    // A worker claimed it long ago (and died); meanwhile an admin revoked; the group is gone.
    await db.execute(
      sql`update grants set state = 'provisioning', claimed_at = now() - interval '10 minutes', end_reason = 'revoked', group_guid = ${randomUUID()} where id = ${grantId}`,
    );
    expect(await activateGrant(grantId)).toBe("cancelled");
    expect((await grantRow(grantId)).state).toBe("revoked");
  });

  it("the last failed attempt marks the grant and its request failed", async () => {
    const { grantId, requestId } = await requestFor(requester, privilegeId);
    await db.execute(sql`update grants set attempts = ${MAX_ACTIVATION_ATTEMPTS - 1}, group_guid = ${randomUUID()} where id = ${grantId}`);
    expect(await activateGrant(grantId)).toBe("failed");
    expect((await grantRow(grantId)).state).toBe("failed");
    const [request] = await db.select({ status: requests.status }).from(requests).where(eq(requests.id, requestId));
    expect(request?.status).toBe("failed");
  });

  it("a retried attempt with a lapsed claim cannot overwrite the newer claim's result", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    expect(await activateGrant(grantId)).toBe("activated");
    // A stale worker finishing late would match on id + state only; the claim token stops it.
    const stale = await db.execute(sql`update grants set state = 'pending' where id = ${grantId} and claim_token = ${randomUUID()} returning id`);
    expect(stale.length).toBe(0);
    expect((await grantRow(grantId)).state).toBe("active");
  });

  it("a membership removed by hand before expiry (AD says 53) still expires cleanly", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    await removeMembers(groupGuid, [requesterGuid]);
    await expireNow(grantId);
    expect((await sweepExpired()).removed).toBe(1);
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.removed"));
    expect(event?.data).toMatchObject({ alreadyAbsent: true, reason: "expired" });
  });

  it("removes many grants of one group in one modify", async () => {
    await ensureAdUser(admin, "it-bulk-1");
    await ensureAdUser(admin, "it-bulk-2");
    const people = [requester, other, await localUser("it-bulk-1"), await localUser("it-bulk-2")];
    await openAccessGroup(boss, people.slice(2));
    const ids: string[] = [];
    for (const p of people) ids.push((await requestFor(p, privilegeId)).grantId);
    for (const id of ids) await activateGrant(id);
    await db.execute(sql`update grants set expires_at = now()`);
    const sweep = await sweepExpired();
    expect(sweep).toMatchObject({ claimed: 4, removed: 4, modifies: 1 });
    for (const p of people) expect(await isDirectMember(groupDn, p.dn)).toBe(false);
  });

  /** Four people in the group, their grants all due now. */
  async function fourDueGrants() {
    await ensureAdUser(admin, "it-bulk-1");
    await ensureAdUser(admin, "it-bulk-2");
    const people = [requester, other, await localUser("it-bulk-1"), await localUser("it-bulk-2")];
    await openAccessGroup(boss, people.slice(2));
    const ids: string[] = [];
    for (const p of people) ids.push((await requestFor(p, privilegeId)).grantId);
    for (const id of ids) await activateGrant(id);
    await db.execute(sql`update grants set expires_at = now()`);
    return { people, ids };
  }

  it("one sweep works through more due grants than one claim holds, each chunk finished under its own lease", async () => {
    const { people, ids } = await fourDueGrants();

    // Someone holds the audit chain: the outcomes queue up while the directory lane claims and
    // removes chunk after chunk, and commit only after the last chunk was claimed.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    const holder = db.transaction(async (tx) => {
      await recordAudit(tx, SYSTEM_ACTOR, [
        { action: "grant.cancelled", targetType: "grant", targetId: randomUUID(), data: { reason: "test holds the chain" } },
      ]);
      holding();
      await gate;
    });
    await held;
    // Chunks of 1 (and the empty claim that ends the sweep): four leases, four modifies.
    const sweep = sweepExpired(1);
    await waitFor("every membership removed", async () => (await Promise.all(people.map((p) => isDirectMember(groupDn, p.dn)))).every((m) => !m));
    release();
    await holder;
    expect(await sweep).toMatchObject({ claimed: 4, removed: 4, failed: 0, modifies: 4 });
    const rows = await db.select({ state: grants.state, claimToken: grants.claimToken }).from(grants).where(inArray(grants.id, ids));
    expect(rows).toEqual(ids.map(() => ({ state: "expired", claimToken: null })));
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.removed"))).toHaveLength(4);
    // The safety-net and warning jobs went with them.
    const jobs = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker.jobs where key like 'grant:expire:%' or key like 'grant:warn:%'`,
    );
    expect(jobs[0]?.n).toBe(0);
  });

  it("a sweep that cannot reach the directory stops claiming, records one outage instead of a failure per grant, and lets go of its leases", async () => {
    const { people } = await fourDueGrants();
    const saved = { ...process.env };
    process.env.LDAP_URL = "ldaps://127.0.0.1:1";
    resetEnvForTests();
    await serviceConnection().reset();
    const down = await sweepExpired(1).finally(async () => {
      process.env = saved;
      resetEnvForTests();
      await serviceConnection().reset();
      setOutageKnown(false);
    });
    // The first chunk failed, and the one claimed ahead with it, without another attempt; no more were claimed.
    expect(down).toMatchObject({ claimed: 2, removed: 0, failed: 2, modifies: 0 });
    // Issue 15: no removal_failed event per grant (and per retry) — one outage, with both failures counted on it.
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "grant.removal_failed"))).toHaveLength(0);
    const started = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.outage_started"));
    expect(started.map((e) => e.data)).toEqual([expect.objectContaining({ dcUrl: "ldaps://127.0.0.1:1", error: expect.stringMatching(/unreachable/) })]);
    expect(await db.select().from(directoryOutages)).toEqual([expect.objectContaining({ dcUrl: "ldaps://127.0.0.1:1", endedAt: null, failures: 2 })]);
    const failed = await db.select({ lastError: grants.lastError, attempts: grants.attempts }).from(grants).where(eq(grants.state, "expiring"));
    expect(failed).toEqual([
      expect.objectContaining({ lastError: expect.stringMatching(/unreachable/) }),
      expect.objectContaining({ attempts: expect.any(Number) }),
    ]);

    // The directory is back: all four are due at once — the failed ones' leases were let go, nobody waits for them to lapse.
    expect(await sweepExpired()).toMatchObject({ claimed: 4, removed: 4, failed: 0 });
    for (const p of people) expect(await isDirectMember(groupDn, p.dn)).toBe(false);
  });

  it("refuses a second live request for the same privilege", async () => {
    await requestFor(requester, privilegeId);
    await expect(submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 5, justification: "" })).rejects.toThrow(/already have/);
  });

  it("refuses a duration above the privilege's maximum, naming the limit", async () => {
    await expect(submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 61, justification: "" })).rejects.toThrow(/at most 60 minutes/);
  });

  it("an admin revokes an active grant: removed from AD and marked revoked", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    await endGrant(boss, actorFor(boss), grantId, "revoked");
    await sweepExpired();
    expect(await isDirectMember(groupDn, requester.dn)).toBe(false);
    expect(await grantRow(grantId)).toMatchObject({ state: "revoked", end_reason: "revoked" });
  });

  it("only admins revoke; only the holder (or an admin) ends early", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    await expect(endGrant(requester, actorFor(requester), grantId, "revoked")).rejects.toThrow(/may not revoke/);
    await expect(endGrant(other, actorFor(other), grantId, "ended_early")).rejects.toThrow(/may not end/);
    await endGrant(requester, actorFor(requester), grantId, "ended_early");
    await sweepExpired();
    expect(await grantRow(grantId)).toMatchObject({ state: "revoked", end_reason: "ended_early" });
  });

  it("ending a grant that never reached AD cancels it without touching the directory", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    await endGrant(requester, actorFor(requester), grantId, "ended_early");
    expect(await activateGrant(grantId)).toBe("nothing-to-do");
    expect(await isDirectMember(groupDn, requester.dn)).toBe(false);
    expect((await grantRow(grantId)).state).toBe("revoked");
  });

  it("reconcile removes a membership that outlived its grant", async () => {
    const grantId = await grantedThenExpired();
    // Someone (or a lost job) puts the account back after the grant ended.
    await adAddMember(admin, groupDn, requester.dn);
    const result = await reconcile();
    expect(result.orphansRemoved).toBe(1);
    expect(await isDirectMember(groupDn, requester.dn)).toBe(false);
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.orphan_removed"));
    expect(event?.data).toMatchObject({ memberDn: requester.dn, lastGrantId: grantId });
  });

  it("reconcile leaves alone members it never granted and live grants", async () => {
    await adAddMember(admin, groupDn, other.dn);
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    expect((await reconcile()).orphansRemoved).toBe(0);
    expect(await isDirectMember(groupDn, other.dn)).toBe(true);
    expect(await isDirectMember(groupDn, requester.dn)).toBe(true);
  });

  it("reconcile re-adds a membership an active grant says should exist", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    await removeMembers(groupGuid, [requesterGuid]);
    expect((await reconcile()).reapplied).toBe(1);
    expect(await isDirectMember(groupDn, requester.dn)).toBe(true);
  });

  it("reconcile carries on past a group that no longer exists", async () => {
    const goneDn = await ensureAdGroup(admin, "IT Grant Gone");
    await publish(boss, "IT Grant Gone", 60);
    await admin.del(goneDn);
    await grantedThenExpired();
    await adAddMember(admin, groupDn, requester.dn);
    const result = await reconcile();
    expect(result.errors.map((e) => e.groupDn)).toEqual([goneDn]);
    expect(result.orphansRemoved).toBe(1);
  });

  it("reconcile re-queues an activation a crashed worker left in provisioning", async () => {
    const { grantId } = await requestFor(requester, privilegeId);
    // A worker claimed it a while ago and died.
    await db.execute(sql`update grants set state = 'provisioning', claimed_at = now() - interval '10 minutes' where id = ${grantId}`);
    await db.execute(sql`delete from graphile_worker._private_jobs`);
    expect((await reconcile()).requeued).toBe(1);
    const jobs = await db.execute<{ n: number }>(sql`select count(*)::int as n from graphile_worker.jobs where key = ${`grant:activate:${grantId}`}`);
    expect(jobs[0]?.n).toBe(1);
    // The lapsed lease lets the activation take the grant over.
    expect(await activateGrant(grantId)).toBe("activated");
  });

  it("keeps an unbroken hash chain across all of this, and detects tampering", async () => {
    await grantedThenExpired();
    const intact = await verifyAuditChain(db);
    expect(intact.problems).toEqual([]);
    expect(intact.checked).toBeGreaterThanOrEqual(5);

    // The app's role may not edit the table (tests/integration/db-roles.test.ts), and the trigger
    // refuses the owner too; only someone able to switch triggers off gets further…
    const refused = { cause: expect.objectContaining({ message: expect.stringMatching(/permission denied for table audit_events/) }) };
    await expect(db.execute(sql`update audit_events set actor_name = 'mallory' where seq = 2`)).rejects.toMatchObject(refused);
    await expect(db.execute(sql`delete from audit_events where seq = 3`)).rejects.toMatchObject(refused);
    // …and the chain gives them away.
    await asTableOwner(sql`update audit_events set actor_name = 'mallory' where seq = 2`);
    expect((await verifyAuditChain(db)).problems).toContainEqual({ seq: 2, kind: "hash-mismatch" });

    await asTableOwner(sql`delete from audit_events where seq = 3`);
    expect((await verifyAuditChain(db)).problems).toContainEqual({ seq: 4, kind: "gap", expectedSeq: 3 });
  });
});
