import type { Client } from "ldapts";
import { and, eq, inArray, like, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, directoryOutages, grants, users } from "@/db/schema";
import { setActivation } from "@/server/access-groups/members";
import { directoryOutageBanner } from "@/server/admin/overview";
import type { SessionUser } from "@/server/auth/permissions";
import { serviceConnection } from "@/server/directory/connection";
import { directoryAnswers, openOutages, outageKnown, setOutageKnown } from "@/server/directory/outages";
import { listGroupMembers } from "@/server/directory/service";
import { resetEnvForTests } from "@/server/env";
import { activateQueued } from "@/server/grants/activate-batch";
import { resumeAfterOutage } from "@/server/grants/recovery";
import { actorFor, adAddMember, adminClient, ensureAdGroup, ensureAdUser, localUser, openAccessGroup, publish, requestFor, resetDatabase } from "./fixtures";

/*
 * Activation in bulk (issue 15): the first job claims every activation queued and due, and writes
 * the plain memberships one modify per group; each grant keeps its claim, policy recheck and events.
 * And the directory outage seen from activations: one outage, no event per grant, and the
 * recovery re-queues what waited.
 */

const GROUP_A = "IT Batch A";
const GROUP_B = "IT Batch B";
const PEOPLE = 12;
const sam = (i: number) => `it-ab-${String(i + 1).padStart(2, "0")}`;

let ldap: Client;
let dnA: string;
let dnB: string;
let boss: SessionUser;
let people: SessionUser[];
let accessGroupId: string;
let privilegeA: string;
let privilegeB: string;

beforeAll(async () => {
  ldap = await adminClient();
  for (let i = 0; i < PEOPLE; i++) await ensureAdUser(ldap, sam(i));
});
beforeEach(async () => {
  await resetDatabase();
  setOutageKnown(false);
  dnA = await ensureAdGroup(ldap, GROUP_A);
  dnB = await ensureAdGroup(ldap, GROUP_B);
  boss = await localUser("carol", true);
  people = [];
  for (let i = 0; i < PEOPLE; i++) people.push(await localUser(sam(i)));
  accessGroupId = (await openAccessGroup(boss, people)).id;
  privilegeA = (await publish(boss, GROUP_A)).id;
  privilegeB = (await publish(boss, GROUP_B)).id;
});
afterAll(async () => {
  await ensureAdGroup(ldap, GROUP_A);
  await ensureAdGroup(ldap, GROUP_B);
  await ldap.unbind();
});

const memberDns = async (dn: string) => new Set((await listGroupMembers({ dn })).map((m) => m.dn.toLowerCase()));
const eventsOf = (action: string, ids: string[]) =>
  db
    .select({ targetId: auditEvents.targetId, data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), inArray(auditEvents.targetId, ids)));
const activationJobs = () =>
  db.execute<{ key: string; due: boolean; run_at: string | Date }>(
    sql`select key, run_at, run_at <= now() as due from graphile_worker.jobs where key like 'grant:activate:%'`,
  );

describe("activations queued together", () => {
  it("are claimed by the first job and written per group: every account is in, each grant with its own events", async () => {
    // One account is in its group already: "already a member" is settled for that value alone.
    await adAddMember(ldap, dnA, people[0]!.dn);
    const ids: string[] = [];
    for (const [i, p] of people.entries()) ids.push((await requestFor(p, i % 2 === 0 ? privilegeA : privilegeB)).grantId);

    expect(await activateQueued(ids[0]!)).toEqual({ batch: PEOPLE, activated: PEOPLE, failed: 0, retried: 0, skipped: 0 });

    const rows = await db.select().from(grants).where(inArray(grants.id, ids));
    expect(rows.map((r) => r.state)).toEqual(ids.map(() => "active"));
    const [inA, inB] = [await memberDns(dnA), await memberDns(dnB)];
    for (const [i, p] of people.entries()) expect((i % 2 === 0 ? inA : inB).has(p.dn.toLowerCase())).toBe(true);
    expect(rows.find((r) => r.id === ids[0])!.preExisting).toBe(true);
    expect(rows.filter((r) => r.preExisting)).toHaveLength(1);

    const provisioning = await eventsOf("grant.provisioning", ids);
    const activated = await eventsOf("grant.activated", ids);
    expect(provisioning.map((e) => e.targetId).sort()).toEqual([...ids].sort());
    expect(activated.map((e) => e.targetId).sort()).toEqual([...ids].sort());
    expect(activated.filter((e) => (e.data as { alreadyMember: boolean }).alreadyMember).map((e) => e.targetId)).toEqual([ids[0]]);
    // The batch took the others' jobs: only the job that ran (here: called directly, so never picked up) is left.
    expect((await activationJobs()).map((j) => j.key)).toEqual([`grant:activate:${ids[0]}`]);
  });

  it("a grant whose live policy refuses it inside the batch fails alone", async () => {
    const ids: string[] = [];
    for (const p of people.slice(0, 4)) ids.push((await requestFor(p, privilegeA)).grantId);
    const [suspended] = await db.select({ guid: users.objectGuid }).from(users).where(eq(users.id, people[2]!.id));
    await setActivation(boss, actorFor(boss), accessGroupId, suspended!.guid, "suspended");

    expect(await activateQueued(ids[0]!)).toMatchObject({ batch: 4, activated: 3, failed: 1 });

    const states = new Map((await db.select().from(grants).where(inArray(grants.id, ids))).map((r) => [r.id, r.state]));
    expect(ids.map((id) => states.get(id))).toEqual(["active", "active", "failed", "active"]);
    expect((await eventsOf("grant.policy_refused", ids)).map((e) => e.targetId)).toEqual([ids[2]]);
    expect((await eventsOf("grant.activated", ids)).map((e) => e.targetId).sort()).toEqual([ids[0], ids[1], ids[3]].sort());
    const inA = await memberDns(dnA);
    expect(people.slice(0, 4).map((p) => inA.has(p.dn.toLowerCase()))).toEqual([true, true, false, true]);
  });

  it("a lone grant takes the single path", async () => {
    const { grantId } = await requestFor(people[0]!, privilegeA);
    expect(await activateQueued(grantId)).toBe("activated");
    expect((await memberDns(dnA)).has(people[0]!.dn.toLowerCase())).toBe(true);
  });
});

describe("a directory outage seen by activations", () => {
  it("records one outage and no failure event per grant, and the recovery re-queues what waited, now", async () => {
    const ids: string[] = [];
    for (const p of people.slice(0, 3)) ids.push((await requestFor(p, privilegeA)).grantId);
    const saved = { ...process.env };
    process.env.LDAP_URL = "ldaps://127.0.0.1:1";
    resetEnvForTests();
    await serviceConnection().reset();
    try {
      expect(await activateQueued(ids[0]!)).toMatchObject({ batch: 3, activated: 0, retried: 3 });
      expect(outageKnown()).toBe(true);
      expect(await directoryAnswers("ldaps://127.0.0.1:1")).toBe(false);
    } finally {
      process.env = saved;
      resetEnvForTests();
      await serviceConnection().reset();
    }
    const rows = await db.select().from(grants).where(inArray(grants.id, ids));
    expect(rows.map((r) => [r.state, r.attempts])).toEqual(ids.map(() => ["pending", 1]));
    expect(rows.every((r) => /unreachable/.test(r.lastError ?? ""))).toBe(true);
    expect(await eventsOf("grant.activation_failed", ids)).toHaveLength(0);
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.outage_started"))).toHaveLength(1);
    // Each retry waits in a backoff of its own...
    const backoff = new Map((await activationJobs()).map((j) => [j.key, new Date(j.run_at).getTime()]));
    expect(backoff.size).toBe(3);

    const [outage] = await openOutages();
    expect(outage).toMatchObject({ dcUrl: "ldaps://127.0.0.1:1", failures: 3 });
    // The overview's banner: which DC, since when, what waits (admins only).
    expect(await directoryOutageBanner(boss)).toEqual([
      expect.objectContaining({ dcHosts: ["127.0.0.1"], since: outage!.startedAt, removalsWaiting: 0, activationsWaiting: 3 }),
    ]);
    await expect(directoryOutageBanner(people[0]!)).rejects.toThrow();
    expect(await resumeAfterOutage(outage!)).toEqual({ activationsQueued: 3 });
    expect(await resumeAfterOutage(outage!)).toBeNull();
    expect(outageKnown()).toBe(false);
    expect(await directoryOutageBanner(boss)).toEqual([]);
    const [ended] = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.outage_ended"));
    expect(ended?.data).toMatchObject({ outageId: outage!.id, failures: 3 });
    expect((await db.select().from(directoryOutages).where(like(directoryOutages.dcUrl, "%127.0.0.1:1")))[0]!.endedAt).not.toBeNull();
    // ...until the directory answers: then they are due at once.
    const resumed = await activationJobs();
    expect(resumed.filter((j) => j.due)).toHaveLength(3);
    for (const j of resumed) expect(new Date(j.run_at).getTime()).toBeLessThan(backoff.get(j.key)!);

    expect(await activateQueued(ids[0]!)).toMatchObject({ batch: 3, activated: 3 });
    const inA = await memberDns(dnA);
    expect(people.slice(0, 3).every((p) => inA.has(p.dn.toLowerCase()))).toBe(true);
  });

  it("the probe's bind answers for the real DC", async () => {
    expect(await directoryAnswers(process.env.LDAP_URL!)).toBe(true);
  });
});
