import { randomUUID } from "node:crypto";
import type { JobHelpers } from "graphile-worker";
import type { Client } from "ldapts";
import { inArray, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { verifyAuditChain } from "@/server/audit/service";
import { activateGrant } from "@/server/grants/activate";
import { grants__expire } from "@/worker/tasks/grants__expire";
import type { SessionUser } from "@/server/auth/permissions";
import {
  adminClient,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  isDirectMember,
  localUser,
  openAccessGroup,
  publish,
  requestFor,
  resetDatabase,
  waitFor,
} from "./fixtures";
import { startWorker, type WorkerHandle } from "./worker-process";

let admin: Client;
let groupDn: string;
let boss: SessionUser;
let privilegeId: string;
let worker: WorkerHandle | undefined;
const people: SessionUser[] = [];
const SAMS = ["it-w-1", "it-w-2", "it-w-3", "it-w-4", "it-w-5", "it-w-6"];

beforeAll(async () => {
  admin = await adminClient();
  for (const sam of SAMS) await ensureAdUser(admin, sam);
});
beforeEach(async () => {
  await resetDatabase();
  groupDn = await ensureAdGroup(admin, "IT Worker Test");
  boss = await localUser("carol", true);
  privilegeId = (await publish(boss, "IT Worker Test", 60)).id;
  people.length = 0;
  for (const sam of SAMS) people.push(await localUser(sam));
  await openAccessGroup(boss, people);
});
afterEach(async () => {
  await worker?.kill("SIGKILL");
  worker = undefined;
});
afterAll(async () => {
  await admin.unbind();
});

describe("the worker process", () => {
  it("grants, then removes at expiry without waiting for graphile's poll interval", async () => {
    const { grantId } = await requestFor(people[0]!, privilegeId, 3);
    // A one-minute poll: only LISTEN/NOTIFY (activation) and the expiry timer can be this quick.
    worker = await startWorker({ WORKER_POLL_INTERVAL_MS: "60000" });
    await waitFor("membership on the DC", () => isDirectMember(groupDn, people[0]!.dn), 15_000);
    await waitFor("grant expired", async () => (await grantRow(grantId)).state === "expired", 20_000);
    expect(await isDirectMember(groupDn, people[0]!.dn)).toBe(false);
    const row = await grantRow(grantId);
    expect(row.removed_at!.getTime() - row.expires_at!.getTime()).toBeLessThan(10_000);
  });

  it("converges after being SIGKILLed mid-flight: nothing stuck, nothing left in AD, chain intact", async () => {
    const ids: string[] = [];
    for (const p of people.slice(0, 5)) ids.push((await requestFor(p, privilegeId, 2)).grantId);
    worker = await startWorker({ GRANT_LEASE_SECONDS: "2" });
    await waitFor(
      "first activation",
      async () =>
        (
          await db
            .select()
            .from(grants)
            .where(sql`state = 'active'`)
        ).length > 0,
      15_000,
      5,
    );
    await worker.kill("SIGKILL");

    // Also leave a removal half-done, as a worker killed between claim and LDAP modify would.
    const last = people[5]!;
    const { grantId: halfDone } = await requestFor(last, privilegeId, 60);
    await activateGrant(halfDone);
    await db.execute(sql`update grants set state = 'expiring', claimed_at = now(), expires_at = now() where id = ${halfDone}`);
    ids.push(halfDone);
    expect(await isDirectMember(groupDn, last.dn)).toBe(true);

    worker = await startWorker({ GRANT_LEASE_SECONDS: "2" });
    await waitFor(
      "every grant ended",
      async () => (await db.select({ state: grants.state }).from(grants).where(inArray(grants.id, ids))).every((g) => g.state === "expired"),
      45_000,
      200,
    );
    for (const p of people) expect(await isDirectMember(groupDn, p.dn)).toBe(false);
    expect((await verifyAuditChain(db)).problems).toEqual([]);
  });

  it("a grant's safety-net job does not sweep beside the sweep that holds the grant", async () => {
    const { grantId: held } = await requestFor(people[0]!, privilegeId, 60);
    const { grantId: waiting } = await requestFor(people[1]!, privilegeId, 60);
    await activateGrant(held);
    await activateGrant(waiting);
    await db.execute(sql`update grants set expires_at = now() where id in (${held}, ${waiting})`);
    // A sweep (of this worker or another) holds `held` under a live lease.
    await db.execute(sql`update grants set state = 'expiring', claimed_at = now(), claim_token = ${randomUUID()} where id = ${held}`);
    const requeued: unknown[] = [];
    const helpers = { addJob: async (...job: unknown[]) => void requeued.push(job) } as unknown as JobHelpers;

    await grants__expire({ grantId: held }, helpers);
    // No sweep of its own (the other due grant is untouched); it looks again after the lease.
    expect((await grantRow(waiting)).state).toBe("active");
    expect(requeued).toEqual([["grants__expire", { grantId: held }, expect.objectContaining({ jobKey: `grant:expire:${held}` })]]);

    // A job whose grant nobody holds sweeps.
    await grants__expire({ grantId: waiting }, helpers);
    expect((await grantRow(waiting)).state).toBe("expired");
    expect(await isDirectMember(groupDn, people[1]!.dn)).toBe(false);
  });
});
