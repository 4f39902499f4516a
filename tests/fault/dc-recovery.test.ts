/**
 * Directory recovery (issue 15): 1,000 grants fall due while the (shared) DC is stopped for 60 s.
 * The real worker records ONE outage (not a failure event per grant and retry), its probe watches
 * the DC, and the moment the DC answers LDAPS again every membership is removed — within 2 s of
 * recovery, measured from the test's own probe (a service bind every 50 ms) to the grants'
 * removed_at. The DC is restarted in `finally` whatever happens. Prints `RESULT …`.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { newClient } from "@/server/directory/connection";
import { getUser } from "@/server/directory/service";
import { env } from "@/server/env";
import { submitRequest } from "@/server/requests/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { actorFor, adminClient, configuredAccessGroup, localUser, publishNamed, resetDatabase } from "../integration/fixtures";
import { startWorker, type WorkerHandle } from "../integration/worker-process";
import { deleteFaultGroups, ensureFaultAccounts, freshPrivilegeGroups, memberDns, pool, REQUESTERS_CN, sleep } from "./directory";
import { searchPrincipals } from "@/server/directory/principals";

const GRANTS = 1000;
const GROUPS = 5;
const OUTAGE_MS = 60_000;
const RECOVERY_LIMIT_MS = 2_000;
/** Outage started + ended, and room for the worker's periodic jobs (reconcile, offboarding) that may note the outage too. */
const AUDIT_ALLOWANCE = 10;

const root = path.resolve(import.meta.dirname, "../..");
const startedAt = Date.now();
const log = (msg: string) => console.log(`[dc-recovery ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

let groupDns: string[] = [];
let worker: WorkerHandle | undefined;
let dcStopped = false;

function script(name: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile("bash", [`scripts/${name}`], { cwd: root, timeout: 180_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${name} failed: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

/** The first moment the service account can bind again, polled every 50 ms on fresh connections. */
async function firstBind(deadline: number): Promise<number> {
  for (;;) {
    const client = newClient(env.LDAP_URL[0]!);
    try {
      await client.bind(env.LDAP_BIND_DN, env.LDAP_BIND_PASSWORD);
      return Date.now();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    } finally {
      await client.unbind().catch(() => {});
    }
    await sleep(50);
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(everyMs);
  }
}

const count = async (where: ReturnType<typeof sql>) => (await db.execute<{ n: number }>(sql`select count(*)::int as n from grants where ${where}`))[0]!.n;

beforeAll(async () => {
  await resetDatabase();
  const admin = await adminClient();
  const accounts = await ensureFaultAccounts(admin, GRANTS);
  const groups = await freshPrivilegeGroups(admin, GROUPS);
  await admin.unbind();
  groupDns = groups.map((g) => g.dn);

  const boss = await localUser("carol", true);
  const privilegeIds: string[] = [];
  for (const [k, g] of groups.entries()) privilegeIds.push((await publishNamed(boss, g.cn, `Recovery ${k + 1}`, ["fault"], 60)).id);
  const requesters = (await searchPrincipals("group", REQUESTERS_CN)).find((p) => p.name === REQUESTERS_CN);
  if (!requesters) throw new Error(`group ${REQUESTERS_CN} not found`);
  await configuredAccessGroup(boss, { name: "DC recovery requesters", settings: { autoGrantOnProvisioning: true }, members: [requesters.objectGuid] });
  const people = await pool(accounts.dns, 8, async (dn) => {
    const person = await getUser(dn);
    if (!person) throw new Error(`no AD user ${dn}`);
    return upsertDirectoryUser(db, person, false, false);
  });
  await pool(
    people.map((person, i) => ({ person, k: i % GROUPS })),
    8,
    (p) => submitRequest(p.person, actorFor(p.person), { privilegeId: privilegeIds[p.k]!, durationMinutes: 60, justification: "dc recovery test" }),
  );
  log(`submitted ${GRANTS} requests`);
}, 300_000);

afterAll(async () => {
  if (dcStopped) await script("ad-up.sh");
  await worker?.kill("SIGKILL");
  const cleanup = await adminClient();
  await deleteFaultGroups(cleanup);
  await cleanup.unbind();
});

describe("directory recovery", () => {
  it(`removes ${GRANTS} due grants within ${RECOVERY_LIMIT_MS / 1000} s of the DC answering again, with one outage in the audit trail`, async () => {
    const activationStart = Date.now();
    worker = await startWorker();
    await waitUntil(`all ${GRANTS} active`, async () => (await count(sql`state = 'active'`)) === GRANTS, 120_000);
    log(`${GRANTS} activated in ${((Date.now() - activationStart) / 1000).toFixed(1)} s (queued together: the batch path)`);
    const [mark] = await db.execute<{ before: string }>(sql`select coalesce(max(seq), 0)::text as before from audit_events`);
    const before = mark!.before;

    let recoveryAt = 0;
    let downAt = 0;
    try {
      dcStopped = true;
      await script("ad-down.sh");
      downAt = Date.now();
      log("DC stopped; every grant due now");
      await db.execute(sql`update grants set expires_at = now() where state = 'active'`);
      await db.execute(sql`select pg_notify('interim_grant_schedule', '')`);
      await waitUntil(
        "the worker records the outage",
        async () => (await db.execute(sql`select 1 from directory_outages where ended_at is null`)).length > 0,
        30_000,
      );
      await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
      log("starting the DC");
      const up = script("ad-up.sh");
      recoveryAt = await firstBind(Date.now() + 150_000);
      log("the DC answers LDAPS again");
      await up;
      dcStopped = false;
    } finally {
      if (dcStopped) {
        await script("ad-up.sh");
        dcStopped = false;
      }
    }

    await waitUntil("every grant removed", async () => (await count(sql`state <> 'expired'`)) === 0, 60_000);
    const [lag] = await db.execute<{ p50: number; max: number }>(sql`
      select percentile_cont(0.5) within group (order by extract(epoch from removed_at) * 1000)::float8 as p50,
             max(extract(epoch from removed_at) * 1000)::float8 as max
      from grants`);
    const maxDelay = lag!.max - recoveryAt;
    const p50Delay = lag!.p50 - recoveryAt;
    const audit = await db.execute<{ action: string; n: number }>(
      sql`select action, count(*)::int as n from audit_events where seq > ${before}::bigint group by action order by n desc`,
    );
    const byAction = Object.fromEntries([...audit].map((r) => [r.action, r.n]));
    const total = [...audit].reduce((s, r) => s + r.n, 0);
    const admin = await adminClient();
    const left = (await Promise.all(groupDns.map((dn) => memberDns(admin, dn)))).reduce((s, m) => s + m.size, 0);
    await admin.unbind();
    log(
      `RESULT DC down ${((recoveryAt - downAt) / 1000).toFixed(1)} s; ${GRANTS} removals after recovery: p50 ${(p50Delay / 1000).toFixed(2)} s, ` +
        `max ${(maxDelay / 1000).toFixed(2)} s (limit ${RECOVERY_LIMIT_MS / 1000} s); audit events since the stop: ${total} ${JSON.stringify(byAction)}`,
    );

    expect(left, "memberships left on the DC").toBe(0);
    expect(maxDelay).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
    expect(byAction["grant.removed"]).toBe(GRANTS);
    expect(byAction["grant.removal_failed"] ?? 0).toBe(0);
    expect(byAction["directory.outage_started"]).toBe(1);
    expect(byAction["directory.outage_ended"]).toBe(1);
    expect(total).toBeLessThanOrEqual(GRANTS + AUDIT_ALLOWANCE);
  });
});
