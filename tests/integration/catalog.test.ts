import { TRPCError } from "@trpc/server";
import { and, desc, eq, sql } from "drizzle-orm";
import { Attribute, Change, type Client } from "ldapts";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db, sqlClient } from "@/db";
import { auditEvents, catalogCredentials, catalogDevices, catalogSyncRuns } from "@/db/schema";
import { verifyAuditChain } from "@/server/audit/service";
import type { SessionUser } from "@/server/auth/permissions";
import * as catalog from "@/server/catalog/service";
import { runCatalogSync, runScheduledCatalogSync, syncJobKey } from "@/server/catalog/sync";
import { resetEnvForTests } from "@/server/env";
import { DomainError } from "@/server/errors";
import { createCaller } from "@/server/trpc/root";
import { actorFor, adminClient, BASE_DN, ensureTestOu, localUser, resetDatabase, TEST_OU, waitFor } from "./fixtures";
import { startWorker, type WorkerHandle } from "./worker-process";

const SERVERS_OU = `OU=Servers,OU=Interim,${BASE_DN}`;
const PRIVILEGED_OU = `OU=Privileged Accounts,OU=Interim,${BASE_DN}`;
/** Computers this file creates and deletes; the seeded OU=Servers is only read. */
const CATALOG_OU = `OU=Catalog,${TEST_OU}`;
const TEMP_COMPUTER = "IT-CAT-01";

let ad: Client;
let boss: SessionUser;
let alice: SessionUser;
let worker: WorkerHandle | undefined;
const savedEnv = { devices: process.env.CATALOG_DEVICE_BASE_DNS, credentials: process.env.CATALOG_CREDENTIAL_BASE_DNS };

function setCatalogOus(devices: string, credentials: string) {
  process.env.CATALOG_DEVICE_BASE_DNS = devices;
  process.env.CATALOG_CREDENTIAL_BASE_DNS = credentials;
  resetEnvForTests();
}

async function deleteTempComputers() {
  const { searchEntries } = await ad.search(CATALOG_OU, { scope: "one", filter: "(objectClass=computer)", attributes: ["cn"] });
  for (const e of searchEntries) await ad.del(e.dn);
}

async function addComputer(name: string, os: string) {
  await ad.add(`CN=${name},${CATALOG_OU}`, { objectClass: ["top", "computer"], sAMAccountName: `${name}$`, userAccountControl: "4096", operatingSystem: os });
}

/** A "Sync now" run to completion, in this process (the worker is tested separately below). */
async function syncNow() {
  const { id } = await catalog.requestCatalogSync(boss, actorFor(boss));
  const run = await runCatalogSync(id);
  if (!run) throw new Error("the run was not executed");
  return catalog.getSyncRun(boss, run.id);
}

async function device(name: string) {
  const [row] = await db.select().from(catalogDevices).where(eq(catalogDevices.name, name));
  return row;
}

async function lastAudit(action: string, targetId: string) {
  const [row] = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, targetId)))
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  return row;
}

/** Through the API a refusal is a TRPCError; straight from a service, the DomainError it maps from. */
async function rejection(p: Promise<unknown>): Promise<TRPCError | DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCError) && !(err instanceof DomainError)) throw new Error(`expected a TRPCError or a DomainError, got ${String(err)}`);
  return err;
}

const callerFor = (user: SessionUser) => createCaller({ user, ip: "127.0.0.1", userAgent: "vitest", requestId: "vitest", log: pino({ level: "silent" }) });

beforeAll(async () => {
  ad = await adminClient();
  await ensureTestOu(ad);
  await ad.add(CATALOG_OU, { objectClass: ["top", "organizationalUnit"], ou: "Catalog" }).catch(() => {});
  await deleteTempComputers();
});
beforeEach(async () => {
  setCatalogOus(`${SERVERS_OU};${CATALOG_OU}`, PRIVILEGED_OU);
  await resetDatabase();
  boss = await localUser("carol", true);
  alice = await localUser("alice");
});
afterEach(async () => {
  await worker?.kill("SIGKILL");
  worker = undefined;
  await deleteTempComputers();
});
afterAll(async () => {
  process.env.CATALOG_DEVICE_BASE_DNS = savedEnv.devices;
  process.env.CATALOG_CREDENTIAL_BASE_DNS = savedEnv.credentials;
  if (savedEnv.devices === undefined) delete process.env.CATALOG_DEVICE_BASE_DNS;
  if (savedEnv.credentials === undefined) delete process.env.CATALOG_CREDENTIAL_BASE_DNS;
  resetEnvForTests();
  await ad.unbind();
});

describe("catalog sync", () => {
  it("imports computers (model from operatingSystem) and privileged accounts (device names from userWorkstations)", async () => {
    const started = Date.now();
    const run = await syncNow();
    const elapsed = Date.now() - started;
    expect(run).toMatchObject({ state: "succeeded", trigger: "manual", requestedBy: "carol", error: null, removed: 0 });
    expect(run.processed).toBe(run.total);
    expect(run.total).toBeGreaterThanOrEqual(5);
    expect(run.added).toBe(run.total);

    const devices = (await catalog.listDevices(boss, { search: "", includeRemoved: false })).items;
    const byName = new Map(devices.map((d) => [d.name, d]));
    expect(byName.get("SQL01")).toMatchObject({ model: "Windows Server 2022", type: "server", source: "directory", present: true, website: null, tags: [] });
    expect(byName.get("WEB01")).toMatchObject({ model: "Windows Server 2019", type: "server", website: "https://web01.interim.test" });
    expect(byName.get("DB01")).toMatchObject({ model: "Ubuntu 24.04", type: "computer" });
    expect(byName.get("SQL01")!.objectGuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const credentials = (await catalog.listCredentials(boss, { search: "adm-", includeRemoved: false })).items;
    expect(credentials.map((c) => [c.username, c.type, c.deviceNames])).toEqual([
      // LNX01 (the SSH target) and DC1 (whose winbind checks its logins): scripts/ad-up.sh
      ["adm-alice", "domain", ["SQL01", "LNX01", "DC1"]],
      ["adm-bob", "domain", ["WEB01", "DB01", "LNX01", "DC1"]],
    ]);
    expect(run.changes).toEqual(
      expect.arrayContaining([
        { kind: "device", name: "SQL01", change: "added" },
        { kind: "credential", name: "adm-bob", change: "added" },
      ]),
    );
    expect((await lastAudit("catalog.sync_completed", run.id))?.data).toEqual({
      trigger: "manual",
      state: "succeeded",
      added: run.added,
      updated: 0,
      removed: 0,
      error: null,
    });
    console.info(`[catalog] first sync of the demo OUs: ${run.total} objects in ${elapsed} ms`);
  });

  it("keeps admin tags and an admin's website across syncs, and refuses edits of AD-owned fields", async () => {
    await syncNow();
    const sql01 = (await device("SQL01"))!;
    await catalog.updateDevice(boss, actorFor(boss), { id: sql01.id, tags: ["prod", "sql"], website: "https://sql01.admin.test" });
    const web01 = (await device("WEB01"))!;
    await catalog.updateDevice(boss, actorFor(boss), { id: web01.id, website: "https://override.test" });

    const again = await syncNow();
    expect(again).toMatchObject({ state: "succeeded", added: 0, updated: 0, removed: 0, changes: [] });
    expect(await device("SQL01")).toMatchObject({ tags: ["prod", "sql"], website: "https://sql01.admin.test", model: "Windows Server 2022" });
    expect((await device("WEB01"))!.website).toBe("https://override.test");

    const refused = await rejection(catalog.updateDevice(boss, actorFor(boss), { id: sql01.id, name: "SQL99", model: "Linux" }));
    expect(refused.code).toBe("BAD_REQUEST");
    expect(refused.message).toMatch(/name and model of “SQL01” come from Active Directory/);
    // Unchanged values of AD-owned fields are fine (a form sends every field).
    await catalog.updateDevice(boss, actorFor(boss), { id: sql01.id, name: "SQL01", tags: ["prod"] });
    const adm = (await catalog.listCredentials(boss, { search: "adm-alice", includeRemoved: false })).items[0]!;
    expect((await rejection(catalog.updateCredential(boss, actorFor(boss), { id: adm.id, deviceNames: ["WEB01"] }))).message).toMatch(/device names/);
    expect((await rejection(catalog.deleteDevice(boss, actorFor(boss), sql01.id))).code).toBe("BAD_REQUEST");
  });

  it("reports a computer added, then changed (with the field diff), then deleted in AD", async () => {
    await syncNow();
    await addComputer(TEMP_COMPUTER, "Windows 10 Pro");
    const added = await syncNow();
    expect(added).toMatchObject({ added: 1, updated: 0, removed: 0, changes: [{ kind: "device", name: TEMP_COMPUTER, change: "added" }] });
    expect(await device(TEMP_COMPUTER)).toMatchObject({ type: "workstation", model: "Windows 10 Pro", dn: `CN=${TEMP_COMPUTER},${CATALOG_OU}` });

    await ad.modify(
      `CN=${TEMP_COMPUTER},${CATALOG_OU}`,
      new Change({ operation: "replace", modification: new Attribute({ type: "operatingSystem", values: ["Windows Server 2025"] }) }),
    );
    const updated = await syncNow();
    expect(updated).toMatchObject({ added: 0, updated: 1, removed: 0 });
    expect(updated.changes).toEqual([
      {
        kind: "device",
        name: TEMP_COMPUTER,
        change: "updated",
        fields: { model: { from: "Windows 10 Pro", to: "Windows Server 2025" }, type: { from: "workstation", to: "server" } },
      },
    ]);

    await ad.del(`CN=${TEMP_COMPUTER},${CATALOG_OU}`);
    const removed = await syncNow();
    expect(removed).toMatchObject({ added: 0, updated: 0, removed: 1, changes: [{ kind: "device", name: TEMP_COMPUTER, change: "removed" }] });
    expect((await device(TEMP_COMPUTER))!.present).toBe(false);
    const visible = await catalog.listDevices(boss, { search: TEMP_COMPUTER, includeRemoved: false });
    expect(visible.items).toEqual([]);
    const all = await catalog.listDevices(boss, { search: TEMP_COMPUTER, includeRemoved: true });
    expect(all.items.map((d) => [d.name, d.present])).toEqual([[TEMP_COMPUTER, false]]);
  });

  it("fails without removing anything when a configured OU does not exist", async () => {
    await syncNow();
    setCatalogOus(`OU=Nope,${TEST_OU}`, PRIVILEGED_OU);
    const run = await syncNow();
    expect(run.state).toBe("failed");
    expect(run.error).toMatch(/OU=Nope.*does not exist/);
    expect((await device("SQL01"))!.present).toBe(true);
    expect((await lastAudit("catalog.sync_completed", run.id))?.data).toMatchObject({ state: "failed", error: run.error });
  });

  it("joins a waiting run, serializes concurrent runs and fails a run its dead worker left running", async () => {
    const [a, b] = await Promise.all([catalog.requestCatalogSync(boss, actorFor(boss)), catalog.requestCatalogSync(boss, actorFor(boss))]);
    expect(a.id).toBe(b.id);
    expect([a.joined, b.joined].sort()).toEqual([false, true]);

    const [dead] = await db.insert(catalogSyncRuns).values({ trigger: "manual", state: "running", startedAt: new Date(), total: 9, processed: 3 }).returning();
    const [manual, scheduled] = await Promise.all([runCatalogSync(a.id), runScheduledCatalogSync()]);
    expect(manual?.state).toBe("succeeded");
    expect(scheduled.state).toBe("succeeded");
    const [first, second] = [manual!, scheduled].sort((x, y) => x.startedAt!.getTime() - y.startedAt!.getTime());
    expect(first!.finishedAt!.getTime()).toBeLessThanOrEqual(second!.startedAt!.getTime());

    const abandoned = await catalog.getSyncRun(boss, dead!.id);
    expect(abandoned).toMatchObject({ state: "failed", error: expect.stringMatching(/stopped before it finished/) });
    expect(await runCatalogSync(a.id)).toBeNull(); // a retried job finds its run done
    expect((await verifyAuditChain(db)).problems).toEqual([]);
  });
});

describe("manual catalog entries", () => {
  it("creates, edits and deletes devices and credentials, each audited with before/after", async () => {
    await syncNow();
    const actor = actorFor(boss);
    const pg = await catalog.createDevice(boss, actor, { name: "pg-prod", model: "PostgreSQL 17", type: "database", tags: ["prod"], website: null });
    expect((await lastAudit("catalog.item_created", pg.id))?.data).toMatchObject({ after: { name: "pg-prod", source: "manual", tags: ["prod"] } });

    for (const name of ["PG-PROD", "sql01"]) {
      const dupe = await rejection(catalog.createDevice(boss, actor, { name, model: "", type: "", tags: [], website: null }));
      expect(dupe.code).toBe("CONFLICT");
      expect(dupe.message).toMatch(/already in the catalog/);
    }

    const renamed = await catalog.updateDevice(boss, actor, { id: pg.id, name: "pg-main", website: "https://pg.interim.test", tags: ["prod", "db"] });
    expect(renamed).toMatchObject({ name: "pg-main", website: "https://pg.interim.test", tags: ["prod", "db"] });
    expect((await lastAudit("catalog.item_updated", pg.id))?.data).toMatchObject({
      before: { name: "pg-prod", website: null, tags: ["prod"] },
      after: { name: "pg-main", website: "https://pg.interim.test", tags: ["prod", "db"] },
    });
    expect((await catalog.listDevices(boss, { search: "db", includeRemoved: false })).items.map((d) => d.name)).toContain("pg-main");

    await catalog.deleteDevice(boss, actor, pg.id);
    expect(await device("pg-main")).toBeUndefined();
    expect((await lastAudit("catalog.item_deleted", pg.id))?.data).toMatchObject({ before: { name: "pg-main" } });

    const root = await catalog.createCredential(boss, actor, { username: "root", displayName: "", type: "local", tags: [], deviceNames: ["DB01"] });
    expect((await rejection(catalog.createCredential(boss, actor, { username: "ROOT", displayName: "", type: "", tags: [], deviceNames: [] }))).code).toBe(
      "CONFLICT",
    );
    expect((await rejection(catalog.createCredential(boss, actor, { username: "adm-bob", displayName: "", type: "", tags: [], deviceNames: [] }))).code).toBe(
      "CONFLICT",
    );
    await catalog.updateCredential(boss, actor, { id: root.id, deviceNames: ["DB01", "WEB01"], type: "local" });
    expect((await lastAudit("catalog.item_updated", root.id))?.data).toMatchObject({
      before: { deviceNames: ["DB01"] },
      after: { deviceNames: ["DB01", "WEB01"] },
    });
    await catalog.deleteCredential(boss, actor, root.id);
    expect((await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, root.id))).length).toBe(0);
    expect((await lastAudit("catalog.item_deleted", root.id))?.data).toMatchObject({ before: { username: "root", deviceNames: ["DB01", "WEB01"] } });
    expect((await verifyAuditChain(db)).problems).toEqual([]);
  });

  it("refuses non-admins and invalid input through the API", async () => {
    const asAlice = callerFor(alice);
    expect((await rejection(asAlice.catalog.devices.list({ search: "" }))).code).toBe("FORBIDDEN");
    expect((await rejection(asAlice.catalog.sync.request())).code).toBe("FORBIDDEN");
    expect((await rejection(catalog.listDevices(alice, { search: "", includeRemoved: false }))).code).toBe("FORBIDDEN");
    expect(
      (await rejection(catalog.createCredential(alice, actorFor(alice), { username: "x", displayName: "", type: "", tags: [], deviceNames: [] }))).code,
    ).toBe("FORBIDDEN");

    const asBoss = callerFor(boss);
    const badUrl = await rejection(asBoss.catalog.devices.create({ name: "x1", website: "ftp://files.test" }));
    expect(badUrl.code).toBe("BAD_REQUEST");
    const tooMany = await rejection(asBoss.catalog.devices.create({ name: "x2", tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }));
    expect(tooMany.code).toBe("BAD_REQUEST");
    expect(tooMany.message).toMatch(/At most 50 tags/);
    expect(await db.select().from(catalogDevices)).toEqual([]);

    const ok = await asBoss.catalog.devices.create({ name: "x3", website: "", tags: " a, A ,b" });
    expect(ok).toMatchObject({ website: null, tags: ["a", "b"] });
  });
});

describe("catalog sync in the worker process", () => {
  it("runs a requested sync to completion and reports progress", async () => {
    worker = await startWorker();
    const { id } = await callerFor(boss).catalog.sync.request();
    await waitFor("sync finished", async () => ["succeeded", "failed"].includes((await catalog.getSyncRun(boss, id)).state), 30_000, 100);
    const run = await catalog.getSyncRun(boss, id);
    expect(run).toMatchObject({ state: "succeeded", error: null });
    expect(run.processed).toBe(run.total);
    expect((await device("WEB01"))?.website).toBe("https://web01.interim.test");
    const [job] = await db.execute<{ n: number }>(sql`select count(*)::int as n from graphile_worker.jobs where key = ${syncJobKey(id)}`);
    expect(job?.n).toBe(0);
  });

  it("recovers from a worker SIGKILLed mid-sync: the next sync fails the dead run and completes", async () => {
    // Hold the sync inside its run: it blocks reading the catalog while this lock is held.
    const blocker = await sqlClient().reserve();
    try {
      await blocker`begin`;
      await blocker`lock table catalog_devices in access exclusive mode`;
      worker = await startWorker();
      await catalog.requestCatalogSync(boss, actorFor(boss));
      // The worker syncs once at start too: whichever run took the lock is the one that dies.
      let stuck = "";
      await waitFor(
        "a sync running",
        async () => {
          const [running] = await db.select({ id: catalogSyncRuns.id }).from(catalogSyncRuns).where(eq(catalogSyncRuns.state, "running"));
          stuck = running?.id ?? "";
          return Boolean(running);
        },
        15_000,
      );
      await worker.kill("SIGKILL");
      await blocker`rollback`;

      worker = await startWorker();
      const { id: next } = await catalog.requestCatalogSync(boss, actorFor(boss));
      await waitFor("next sync finished", async () => (await catalog.getSyncRun(boss, next)).state === "succeeded", 20_000);
      expect(await catalog.getSyncRun(boss, stuck)).toMatchObject({ state: "failed", error: expect.stringMatching(/stopped before it finished/) });
      expect((await lastAudit("catalog.sync_completed", stuck))?.data).toMatchObject({ state: "failed" });
    } finally {
      await blocker`rollback`.catch(() => {});
      blocker.release();
    }
  });
});
