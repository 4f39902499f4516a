/**
 * Postgres restarted under load (issue 15): 400 short grants go through two workers while a web
 * node (production build) answers a signed-in admin's calls, and the embedded cluster is stopped
 * (fast shutdown: every connection cut) and started again on the same port, with an outage of a few
 * seconds. Nobody restarts the web or the workers: each must reconnect by itself. The workers still
 * run under a supervisor (as systemd's `Restart=on-failure` runs them) so that a regression fails
 * with the crash lines instead of hanging: postgres-js 3.4.x threw, from a setImmediate, when a
 * transaction's ROLLBACK or a reserved connection's query went to a socket it had lost
 * (porsager/postgres#1154, #1208), and `worker/index.ts` exits on an uncaught exception; our patch
 * (patches/postgres+3.4.10.patch) rejects such a query with CONNECTION_CLOSED instead. A request
 * made after the restart is activated and its revocation removed, every grant is activated once and
 * removed once, none stuck, nothing left in AD, the chain verifies.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { restartEmbeddedPostgres } from "@/db/embedded";
import type { SessionUser } from "@/server/auth/permissions";
import { searchPrincipals } from "@/server/directory/principals";
import { getUser } from "@/server/directory/service";
import { endGrant } from "@/server/grants/service";
import { publishPrivilege } from "@/server/privileges/service";
import { submitRequest } from "@/server/requests/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { runAuditVerify } from "../support/audit-verify";
import { actorFor, adminClient, configuredAccessGroup, localUser, resetDatabase, waitFor } from "../integration/fixtures";
import { deleteFaultGroups, ensureFaultAccounts, freshPrivilegeGroups, memberDns, pool, REQUESTERS_CN, sleep, watchMemberships } from "./directory";
import { assertProductionBuild, signInOverHttp, startWeb, superviseWorker, trpcOverHttp, type HttpStats, type SupervisedWorker, type WebHandle } from "./nodes";

const ACCOUNTS = 400;
const GROUPS = 2;
const MIN_SECONDS = 10;
const MAX_SECONDS = 45;
/** When the restart begins (activations still queued, the first grants expiring) and how long the cluster stays down. */
const RESTART_AT_MS = 8_000;
const OUTAGE_MS = 5_000;
/** The single-worker fault test's bound (tests/fault/fault.test.ts). */
const OUTLIVE_LIMIT_MS = 60_000;
const WEB_PORT = 3232;
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!";

const startedAt = Date.now();
const log = (msg: string) => console.log(`[pg-restart ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

let web: WebHandle | undefined;
const workers: SupervisedWorker[] = [];
let people: SessionUser[] = [];
const privilegeIds: string[] = [];
let groupDns: string[] = [];

beforeAll(async () => {
  assertProductionBuild();
  await resetDatabase();
  const admin = await adminClient();
  const accounts = await ensureFaultAccounts(admin, ACCOUNTS);
  const groups = await freshPrivilegeGroups(admin, GROUPS);
  await admin.unbind();
  groupDns = groups.map((g) => g.dn);
  const carol = await localUser("carol", true);
  for (const [k, g] of groups.entries()) {
    const [found] = (await searchPrincipals("group", g.cn)).filter((p) => p.name === g.cn);
    const p = await publishPrivilege(carol, actorFor(carol), {
      groupGuid: found!.objectGuid,
      name: `Restart ${k + 1}`,
      description: "",
      maxDurationMinutes: 60,
      defaultDurationMinutes: 5,
      allowExtension: false,
      tags: [],
    });
    privilegeIds.push(p.id);
  }
  const requesters = (await searchPrincipals("group", REQUESTERS_CN)).find((p) => p.name === REQUESTERS_CN);
  await configuredAccessGroup(carol, { name: "Restart requesters", settings: { autoGrantOnProvisioning: true }, members: [requesters!.objectGuid] });
  people = await pool(accounts.dns, 8, async (dn) => upsertDirectoryUser(db, (await getUser(dn))!, false, false));
  // people[0] asks after the restart; the others now.
  await pool(
    people.slice(1).map((person, i) => ({ person, privilegeId: privilegeIds[i % GROUPS]! })),
    8,
    ({ person, privilegeId }) => submitRequest(person, actorFor(person), { privilegeId, durationMinutes: 1, justification: "postgres restart test" }),
  );
  await db.execute(sql`
    with o as (select id, row_number() over (order by random()) - 1 as i from grants where state = 'pending')
    update grants g set duration_seconds = ${MIN_SECONDS} + floor(o.i * ${MAX_SECONDS - MIN_SECONDS}::numeric / ${ACCOUNTS - 2})
    from o where g.id = o.id`);
  web = await startWeb(WEB_PORT);
}, 300_000);

afterAll(async () => {
  for (const w of workers) await w.stop("SIGKILL");
  await web?.kill("SIGKILL");
  const cleanup = await adminClient();
  await deleteFaultGroups(cleanup);
  await cleanup.unbind();
});

/** The embedded cluster's data directory and port, as the server itself reports them (read as the owner). */
async function clusterOf(): Promise<{ dataDir: string; port: number }> {
  const owner = postgres(process.env.DATABASE_OWNER_URL!, { max: 1, onnotice: () => {} });
  try {
    const [row] = await owner<{ dir: string; port: string }[]>`select current_setting('data_directory') as dir, current_setting('port') as port`;
    return { dataDir: row!.dir, port: Number(row!.port) };
  } finally {
    await owner.end();
  }
}

/** The line of a crashed worker's output that says why it ended (its fatal log line or an uncaught error). */
const crashLine = (out: string) => {
  const lines = out.split("\n");
  return (lines.find((l) => l.includes('"level":60')) ?? lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? "").slice(0, 400);
};

const alive = (p: { child: { exitCode: number | null; signalCode: NodeJS.Signals | null } }) => p.child.exitCode === null && p.child.signalCode === null;

async function liveCount() {
  const [row] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from grants where state in ('pending', 'provisioning', 'replicating', 'active', 'expiring')`,
  );
  return row!.n;
}

/** Whether both workers' expiry timers have a connection that LISTENs on the schedule channel (as pg_stat_activity shows it). */
async function bothListening() {
  const [row] = await db.execute<{ n: number }>(sql`
    select count(distinct application_name)::int as n from pg_stat_activity
    where application_name like 'interim-worker-%' and state = 'idle' and query ilike 'listen%interim_grant_schedule%'`);
  return row!.n === 2;
}

async function waitForListeners(what: string) {
  await waitFor(what, bothListening, 30_000, 500).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await listenDiagnostics()}`);
  });
}

async function listenDiagnostics() {
  const rows = await db.execute<{ pid: number; application_name: string; state: string | null; query: string }>(sql`
    select pid, application_name, state, left(query, 60) as query from pg_stat_activity where application_name like 'interim-worker-%' order by 2, 1`);
  const timerLines = workers.map((w) => {
    const c = w.current().child;
    return `${w.name} (restarts ${w.restarts()}, exit ${c.exitCode ?? c.signalCode ?? "none"}):\n${w.current().output().slice(-2500)}`;
  });
  return [...[...rows].map((r) => JSON.stringify(r)), ...timerLines].join("\n");
}

describe("Postgres restarted under load", () => {
  it("web and workers reconnect by themselves: nothing lost, nothing stuck, each grant activated and removed once, the chain intact", async () => {
    const cluster = await clusterOf();
    const plan = [...(await db.execute<{ member_dn: string; group_dn: string }>(sql`select member_dn, group_dn from grants`))].map((r) => ({
      memberDn: r.member_dn,
      groupDn: r.group_dn,
    }));
    const watch = watchMemberships(plan);
    const stats: HttpStats = { byNode: {}, failovers: 0 };
    const admin = trpcOverHttp(() => [web!.url], await signInOverHttp(web!.url, "carol", DEMO_PASSWORD), stats);
    workers.push(...(await Promise.all([1, 2].map((n) => superviseWorker(`interim-worker-${n}`)))));
    const webPid = web!.child.pid;
    const runStart = Date.now();

    // The web keeps answering an admin's page (live grants) all along; calls during the outage may fail.
    let polling = true;
    const answers = { ok: 0, failed: 0, okAfterRestart: 0 };
    let restartedAt = Infinity;
    const poller = (async () => {
      while (polling) {
        await admin.query("grants.live").then(
          () => {
            answers.ok++;
            if (Date.now() > restartedAt) answers.okAfterRestart++;
          },
          () => answers.failed++,
        );
        await sleep(200);
      }
    })();

    // Before the restart both listen (the check below sees them).
    await waitForListeners("both workers listen on interim_grant_schedule");
    await sleep(Math.max(0, runStart + RESTART_AT_MS - Date.now()));
    log(`restarting Postgres (${cluster.dataDir}, port ${cluster.port}); live grants ${await liveCount()}`);
    const stopAt = Date.now();
    const { stoppedAt, startedAt: upAt } = await restartEmbeddedPostgres(cluster.dataDir, cluster.port, OUTAGE_MS);
    restartedAt = upAt;
    log(`Postgres stopped in ${stoppedAt - stopAt} ms, accepting connections again after ${upAt - stoppedAt} ms`);

    // The web answers again by itself.
    await waitFor("the web answers after the restart", async () => answers.okAfterRestart > 0, 30_000, 200);
    // Both workers' expiry timers listen for schedule changes again (postgres-js's own re-LISTEN fails while the server restarts).
    await waitForListeners("both workers listen on interim_grant_schedule again");
    // A request made after the restart is activated (graphile-worker's queue works again), and its revocation removed.
    const late = people[0]!;
    const { grantId } = await submitRequest(late, actorFor(late), { privilegeId: privilegeIds[0]!, durationMinutes: 5, justification: "after the restart" });
    await waitFor(
      "a grant asked for after the restart is active",
      async () => {
        const [g] = await db.execute<{ state: string }>(sql`select state::text from grants where id = ${grantId}::uuid`);
        return g!.state === "active";
      },
      60_000,
      200,
    );
    const carol = await localUser("carol", true);
    await endGrant(carol, actorFor(carol), grantId!, "revoked");

    const deadline = runStart + (MAX_SECONDS + 90) * 1000;
    while ((await liveCount()) > 0 && Date.now() < deadline) await sleep(500);
    const settledAt = Date.now();
    polling = false;
    await poller;
    await sleep(1_500);
    await watch.stop();

    const leftInAd: string[] = [];
    const reader = await adminClient();
    for (const dn of groupDns) leftInAd.push(...[...(await memberDns(reader, dn))].map((m) => `${m} in ${dn}`));
    await reader.unbind();
    const rows = await db.execute<{ id: string; state: string; member_dn: string; group_dn: string; expires_at: string | null; last_error: string | null }>(sql`
      select id, state::text, member_dn, group_dn, expires_at, last_error from grants`);
    const stuck = [...rows].filter((r) => r.state !== "expired" && r.state !== "revoked").map((r) => `${r.id}: ${r.state} ${r.last_error ?? ""}`);
    let maxOutlived = -Infinity;
    for (const r of rows) {
      const seen = watch.sighting(r.group_dn, r.member_dn);
      if (r.expires_at && seen?.lastSeenAt) maxOutlived = Math.max(maxOutlived, (seen.goneBy ?? settledAt) - new Date(r.expires_at).getTime());
    }
    const audit = await db.execute<{ id: string; activated: number; removed: number }>(sql`
      select g.id,
             count(a.seq) filter (where a.action = 'grant.activated')::int as activated,
             count(a.seq) filter (where a.action = 'grant.removed')::int as removed
      from grants g left join audit_events a on a.target_type = 'grant' and a.target_id = g.id::text
      group by g.id`);
    const notOnce = [...audit].filter((a) => a.activated !== 1 || a.removed !== 1).map((a) => `${a.id}: activated ${a.activated}, removed ${a.removed}`);
    const verify = await runAuditVerify();
    const down = [web!, ...workers.map((w) => w.current())].filter((p) => !alive(p)).map((p) => p.output().slice(-3000));
    const restarted = workers.filter((w) => w.restarts() > 0);

    log(
      [
        `RESULT ${rows.length} grants settled at +${((settledAt - runStart) / 1000).toFixed(1)} s; outage ${((upAt - stoppedAt) / 1000).toFixed(1)} s`,
        `web answers: ${JSON.stringify(answers)}; longest a membership outlived its end: ${(maxOutlived / 1000).toFixed(1)} s`,
        `workers: ${workers.length - restarted.length} reconnected by themselves, ${restarted.length} exited and were restarted by the supervisor (${workers
          .map((w) => `${w.name}: ${w.restarts()} restart(s)`)
          .join(", ")})`,
        ...workers.flatMap((w) => w.crashes.map((c) => `${w.name} ${crashLine(c)}`)),
        `${verify.out.trim().split("\n")[0]}`,
      ].join("\n  "),
    );

    expect(down, "the web or a (supervised) worker is down at the end").toEqual([]);
    expect(
      workers.map((w) => `${w.name}: ${w.crashes.filter((c) => c.startsWith("exit")).length} exit(s), ${w.restarts()} restart(s)`),
      `the workers reconnected by themselves: none exited for the supervisor to restart it\n${workers
        .flatMap((w) => w.crashes.map((c) => `${w.name} ${crashLine(c)}`))
        .join("\n")}`,
    ).toEqual(workers.map((w) => `${w.name}: 0 exit(s), 0 restart(s)`));
    expect(web!.child.pid, "the web reconnected by itself: nobody restarted it").toBe(webPid);
    expect(stuck.slice(0, 20), "grants stuck or failed").toEqual([]);
    expect(rows.length).toBe(ACCOUNTS);
    expect(notOnce.slice(0, 20), "grants not activated exactly once and removed exactly once").toEqual([]);
    expect(leftInAd.slice(0, 20), "memberships left in AD").toEqual([]);
    expect(maxOutlived).toBeLessThanOrEqual(OUTLIVE_LIMIT_MS);
    expect(answers.failed, "the web failed calls during the outage (the restart must have happened under load)").toBeGreaterThan(0);
    expect(verify.code, verify.out).toBe(0);
  }, 600_000);
});
