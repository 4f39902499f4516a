import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { Client } from "ldapts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, grants, notificationEvents, privileges } from "@/db/schema";
import { verifyAuditChain } from "@/server/audit/service";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { resetDcConnections } from "@/server/directory/connection";
import type { ReplicationSettingsInput } from "@/server/directory/schemas";
import { checkDirectory, updateReplicationSettings } from "@/server/directory/settings";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { checkReplication } from "@/server/grants/replication";
import { listLiveGrants } from "@/server/grants/service";
import {
  actorFor,
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
} from "../integration/fixtures";
import { startWorker, type WorkerHandle } from "../integration/worker-process";

/*
 * Replication on two real DCs: DC1 (where Interim writes) and DC2, joined by scripts/ad-dc2.sh,
 * which never replicates unless the test says so (`ad-dc2.sh replicate`). The checks run through
 * checkReplication, the function the worker's poller calls every few seconds.
 */

const root = path.resolve(import.meta.dirname, "../..");
const DC2_HOST = process.env.DC2_HOST_NAME ?? "dc2.interim.test";
const DC1_HOST = "dc1.interim.test";
const GROUP = "RP Replication Test";
const SAMS = ["rp-req-1", "rp-req-2", "rp-req-3"];

/** Runs scripts/ad-dc2.sh (replicate, stop, up) and returns how long it took. */
function dc2(command: "replicate" | "stop" | "up"): number {
  const started = performance.now();
  execFileSync("bash", [path.join(root, "scripts/ad-dc2.sh"), command], { cwd: root, stdio: "pipe" });
  return performance.now() - started;
}

let dc1: Client;
let dc2Reader: Client;
let groupDn: string;
let boss: SessionUser;
let people: SessionUser[] = [];
let privilegeId: string;

/** An administrator's connection to DC2 itself: what DC2 really holds, not what Interim concluded. */
async function dc2Client(): Promise<Client> {
  const client = new Client({ url: process.env.DC2_LDAP_URL!, tlsOptions: { ca: [readFileSync(process.env.LDAP_CA_FILE!)] }, timeout: 15_000 });
  await client.bind(process.env.AD_ADMIN_DN!, process.env.AD_ADMIN_PASSWORD!);
  return client;
}

async function memberOn(client: Client, memberDn: string): Promise<boolean> {
  const { searchEntries } = await client.search(groupDn, { scope: "base", attributes: ["member"] });
  const values = searchEntries[0]?.member;
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.map(String).some((v) => v.toLowerCase() === memberDn.toLowerCase());
}

async function settings(input: Partial<ReplicationSettingsInput>) {
  await updateReplicationSettings(boss, actorFor(boss), { mode: "verify", latencySeconds: 0, maxWaitSeconds: 600, dcUrls: [], ...input });
}

async function updatePrivilegeMechanism(mechanism: "direct" | "temporary-group") {
  await db.update(privileges).set({ mechanism }).where(eq(privileges.id, privilegeId));
}

async function grant(id: string) {
  const [row] = await db.select().from(grants).where(eq(grants.id, id));
  return row!;
}

async function events(action: string, grantId: string) {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, grantId)));
}

async function grantedNotifications(grantId: string) {
  return db
    .select()
    .from(notificationEvents)
    .where(and(eq(notificationEvents.event, "granted"), eq(notificationEvents.grantId, grantId)));
}

/** A grant written to DC1 (the service connection's DC): `replicating` under the current settings. */
async function written(person: SessionUser, seconds = 600) {
  const { grantId } = await requestFor(person, privilegeId, seconds);
  expect(await activateGrant(grantId)).toBe("activated");
  return grantId;
}

beforeAll(async () => {
  dc1 = await adminClient();
  for (const sam of SAMS) await ensureAdUser(dc1, sam);
  groupDn = await ensureAdGroup(dc1, GROUP);
  // DC2 starts from where DC1 is now: the test users and the empty group exist on both.
  dc2("replicate");
  dc2Reader = await dc2Client();
});

beforeEach(async () => {
  await resetDatabase();
  await ensureAdGroup(dc1, GROUP);
  dc2("replicate");
  boss = await localUser("carol", true);
  people = [];
  for (const sam of SAMS) people.push(await localUser(sam));
  privilegeId = (await publish(boss, GROUP, 60)).id;
  await openAccessGroup(boss, people);
  // The DCs from their nTDSDSA objects, as the worker stores them at start.
  const facts = await checkDirectory(SYSTEM_ACTOR);
  expect(facts.domainControllers.map((d) => d.hostName.toLowerCase()).sort()).toEqual([DC1_HOST, DC2_HOST]);
});

afterAll(async () => {
  await dc1?.unbind();
  await dc2Reader?.unbind();
  await resetDcConnections();
});

describe("replication across two DCs", () => {
  it("verify: a grant stays replicating while DC2 lacks the member, and is active right after DC2 replicates", async () => {
    await settings({ mode: "verify" });
    const grantId = await written(people[0]!);
    const member = people[0]!.dn;

    let row = await grant(grantId);
    expect(row.state).toBe("replicating");
    // The clock started at the write: expires_at is the full duration from activated_at.
    expect(row.expiresAt!.getTime() - row.activatedAt!.getTime()).toBe(600_000);
    expect(await memberOn(dc1, member)).toBe(true);
    expect(await memberOn(dc2Reader, member)).toBe(false);

    const first = await checkReplication();
    expect(first).toMatchObject({ pending: 1, activated: 0, errors: [] });
    row = await grant(grantId);
    expect(row.state).toBe("replicating");
    expect(row.replication?.dcs).toEqual([
      { host: DC1_HOST, seenAt: expect.any(String), error: null },
      { host: DC2_HOST, seenAt: null, error: null },
    ]);
    // Still nothing on DC2 after a while, and the holder has not been told "granted".
    await new Promise((r) => setTimeout(r, 1500));
    expect((await checkReplication()).activated).toBe(0);
    expect(await memberOn(dc2Reader, member)).toBe(false);
    expect(await grantedNotifications(grantId)).toHaveLength(0);
    expect((await listLiveGrants(boss)).find((g) => g.id === grantId)?.state).toBe("replicating");

    const replicateMs = dc2("replicate");
    expect(await memberOn(dc2Reader, member)).toBe(true);
    const after = await checkReplication();
    expect(after).toMatchObject({ activated: 1, unverified: 0 });
    // Only DC2 was asked again: DC1 had shown the change already.
    expect(after.searches).toBe(1);
    row = await grant(grantId);
    expect(row.state).toBe("active");
    expect(row.replication?.settled).toMatchObject({ by: "verified", unconfirmed: [] });
    expect(await grantedNotifications(grantId)).toHaveLength(1);

    const [event] = await events("grant.replicated", grantId);
    expect(event?.data).toMatchObject({ mode: "verify", settledBy: "verified", verified: true, unconfirmed: [] });
    const dcs = (event!.data as { dcs: { host: string; seenAfterMs: number | null }[] }).dcs;
    expect(dcs.map((d) => d.host)).toEqual([DC1_HOST, DC2_HOST]);
    // DC2 showed it only after the replication the test started, seconds after the write.
    expect(dcs[1]!.seenAfterMs!).toBeGreaterThan(dcs[0]!.seenAfterMs!);
    expect(dcs[1]!.seenAfterMs!).toBeGreaterThanOrEqual(1500);
    console.info(`verify: DC2 replicated in ${Math.round(replicateMs)} ms; grant active ${dcs[1]!.seenAfterMs} ms after the write`);
  });

  it("the worker follows replication by itself: the grant turns active within seconds of DC2 replicating", async () => {
    await settings({ mode: "verify" });
    const { grantId } = await requestFor(people[0]!, privilegeId, 600);
    let worker: WorkerHandle | undefined;
    try {
      worker = await startWorker({ REPLICATION_CHECK_INTERVAL_MS: "300" });
      await waitFor("written to DC1", async () => (await grant(grantId)).state === "replicating", 15_000);
      // Several polls later it still waits: DC2 has not replicated.
      await waitFor("DC2 checked", async () => (await grant(grantId)).replication?.dcs.some((d) => d.host === DC1_HOST && d.seenAt !== null) === true, 5_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect((await grant(grantId)).state).toBe("replicating");
      expect(await memberOn(dc2Reader, people[0]!.dn)).toBe(false);

      dc2("replicate");
      const replicatedAt = Date.now();
      await waitFor("active", async () => (await grant(grantId)).state === "active", 5_000, 50);
      const lag = Date.now() - replicatedAt;
      expect(await grantedNotifications(grantId)).toHaveLength(1);
      console.info(`worker: active ${lag} ms after DC2 replicated (poll every 300 ms)`);
    } finally {
      await worker?.kill();
    }
  });

  it("checks many grants with one search per DC per group", async () => {
    await settings({ mode: "verify" });
    const ids = [];
    for (const p of people) ids.push(await written(p));
    const check = await checkReplication();
    expect(check).toMatchObject({ pending: 3, activated: 0, searches: 2 });
    dc2("replicate");
    expect(await checkReplication()).toMatchObject({ pending: 3, activated: 3, searches: 1 });
    for (const id of ids) expect((await grant(id)).state).toBe("active");
  });

  it("temporary group: replicating until DC2 has the nesting; its deletion confirmed only after DC2 replicated", async () => {
    await settings({ mode: "verify" });
    // The test's privilege, switched to the mechanism (the group may be published once only).
    await updatePrivilegeMechanism("temporary-group");
    const { grantId } = await requestFor(people[2]!, privilegeId, 600);
    expect(await activateGrant(grantId)).toBe("activated");
    const row = await grant(grantId);
    expect(row).toMatchObject({ state: "replicating", mechanism: "temporary-group" });
    expect(await memberOn(dc1, row.tempGroupDn!)).toBe(true);
    expect(await memberOn(dc2Reader, row.tempGroupDn!)).toBe(false);
    expect((await checkReplication()).activated).toBe(0);

    dc2("replicate");
    expect(await memberOn(dc2Reader, row.tempGroupDn!)).toBe(true);
    expect((await checkReplication()).activated).toBe(1);
    expect((await grant(grantId)).state).toBe("active");

    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect((await sweepExpired()).removed).toBe(1);
    expect(await memberOn(dc1, row.tempGroupDn!)).toBe(false);
    await checkReplication();
    expect((await grant(grantId)).removalVerifiedAt).toBeNull();
    dc2("replicate");
    expect(await memberOn(dc2Reader, row.tempGroupDn!)).toBe(false);
    await checkReplication();
    expect((await grant(grantId)).removalVerifiedAt).not.toBeNull();
    await dc1.del(row.tempGroupDn!).catch(() => {});
  });

  it("wait: the grant is active once the latency has passed, with DC2 never replicated", async () => {
    await settings({ mode: "wait", latencySeconds: 3, maxWaitSeconds: 60 });
    const grantId = await written(people[0]!);
    expect((await grant(grantId)).state).toBe("replicating");
    expect(await checkReplication()).toMatchObject({ pending: 1, activated: 0, searches: 0 });
    expect((await grant(grantId)).state).toBe("replicating");

    await waitFor("active after the latency", async () => (await checkReplication()).activated === 1, 10_000, 250);
    const row = await grant(grantId);
    expect(row.state).toBe("active");
    const [event] = await events("grant.replicated", grantId);
    expect(event?.data).toMatchObject({ mode: "wait", settledBy: "latency", verified: false, dcs: [] });
    expect((event!.data as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(3000);
    // Nobody asked DC2, and indeed it still lacks the member.
    expect(await memberOn(dc2Reader, people[0]!.dn)).toBe(false);
    expect(await grantedNotifications(grantId)).toHaveLength(1);
  });

  it("a grant that becomes due while still replicating is removed by the sweep", async () => {
    await settings({ mode: "verify" });
    const grantId = await written(people[0]!);
    expect((await grant(grantId)).state).toBe("replicating");
    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect(await sweepExpired()).toMatchObject({ claimed: 1, removed: 1 });
    expect((await grant(grantId)).state).toBe("expired");
    expect(await isDirectMember(groupDn, people[0]!.dn)).toBe(false);
    // It never became active: no "granted", no grant.replicated.
    expect(await checkReplication()).toMatchObject({ activated: 0 });
    expect(await grantedNotifications(grantId)).toHaveLength(0);
    expect(await events("grant.replicated", grantId)).toHaveLength(0);
  });

  it("removal: reported complete only after DC2 has replicated it", async () => {
    await settings({ mode: "verify" });
    const grantId = await written(people[1]!);
    dc2("replicate");
    expect((await checkReplication()).activated).toBe(1);
    const member = people[1]!.dn;
    expect(await memberOn(dc2Reader, member)).toBe(true);

    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect(await sweepExpired()).toMatchObject({ removed: 1 });
    let row = await grant(grantId);
    expect(row.state).toBe("expired");
    expect(row.removalVerifiedAt).toBeNull();
    expect(row.replication).toMatchObject({ phase: "remove" });
    expect(await memberOn(dc1, member)).toBe(false);
    expect(await memberOn(dc2Reader, member)).toBe(true);

    expect(await checkReplication()).toMatchObject({ pending: 1, removalsSettled: 0 });
    row = await grant(grantId);
    expect(row.removalVerifiedAt).toBeNull();
    expect(row.replication?.dcs).toEqual([
      { host: DC1_HOST, seenAt: expect.any(String), error: null },
      { host: DC2_HOST, seenAt: null, error: null },
    ]);
    // The admin's list keeps it, as a removal not yet everywhere.
    expect((await listLiveGrants(boss)).find((g) => g.id === grantId)).toMatchObject({ removalPending: true });

    dc2("replicate");
    expect(await memberOn(dc2Reader, member)).toBe(false);
    expect(await checkReplication()).toMatchObject({ removalsSettled: 1 });
    row = await grant(grantId);
    expect(row.removalVerifiedAt).not.toBeNull();
    const [event] = await events("grant.removal_replicated", grantId);
    expect(event?.data).toMatchObject({ settledBy: "verified", verified: true, unconfirmed: [] });
    expect((await listLiveGrants(boss)).find((g) => g.id === grantId)).toBeUndefined();
    expect(await checkReplication()).toMatchObject({ pending: 0 });
  });

  it("DC2 stopped: the maximum wait lets the grant go on, audited as unverified on DC2", async () => {
    await settings({ mode: "verify", maxWaitSeconds: 4 });
    dc2("stop");
    try {
      const grantId = await written(people[2]!);
      const first = await checkReplication();
      expect(first.activated).toBe(0);
      expect(first.errors.map((e) => e.host)).toEqual([DC2_HOST]);
      let row = await grant(grantId);
      expect(row.state).toBe("replicating");
      expect(row.replication?.dcs.find((d) => d.host === DC2_HOST)?.error).toMatch(/unreachable/);

      await waitFor("active after the maximum wait", async () => (await checkReplication()).activated === 1, 15_000, 500);
      row = await grant(grantId);
      expect(row.state).toBe("active");
      expect(row.replication?.settled).toMatchObject({ by: "max-wait", unconfirmed: [DC2_HOST] });
      const [event] = await events("grant.replicated", grantId);
      expect(event?.data).toMatchObject({ settledBy: "max-wait", verified: false, unconfirmed: [DC2_HOST] });
      expect((event!.data as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(4000);
      expect(await grantedNotifications(grantId)).toHaveLength(1);
      // The admin sees that it never reached DC2.
      expect((await listLiveGrants(boss)).find((g) => g.id === grantId)?.replication?.settled?.unconfirmed).toEqual([DC2_HOST]);
    } finally {
      dc2("up");
    }
    expect((await verifyAuditChain(db)).problems).toEqual([]);
  });
});
