/**
 * Many nodes on one Postgres (issue 15): 2 web processes (production build) and 3 workers share one
 * database through 2,000 short grants of mixed life — plain activations and expiries, a privilege
 * sets (four and five grants per request), revocations, extensions (automatic and approved) — while one worker
 * is SIGKILLed (not replaced: the two others must take its work over) and one web process restarted.
 *
 * Over HTTP (tRPC with session cookies from real sign-ins, spread over both web nodes): 10 people
 * sign in and submit 30 requests (100 grants), an admin approves them, revokes 80 grants, and some
 * of the 10 ask for extensions that the admin approves. Through the services (HTTP would make the
 * setup minutes long): the other 1,900 grants' 570 requests and 30 automatic extensions.
 *
 * Every grant must be activated once and removed once (one `grant.activated` and one `grant.removed`
 * audit event each), none stuck, no membership left in AD or outliving its grant by more than the
 * single-worker fault test's bound (60 s, tests/fault/fault.test.ts), and the audit chain verifies.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { updateApprovers } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { searchPrincipals } from "@/server/directory/principals";
import { getUser } from "@/server/directory/service";
import { extendGrant } from "@/server/grants/extend";
import { createPrivilegeSet } from "@/server/privilege-sets/service";
import { publishPrivilege } from "@/server/privileges/service";
import { submitRequest } from "@/server/requests/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { runAuditVerify } from "../support/audit-verify";
import { actorFor, adminClient, configuredAccessGroup, directoryGuid, ensureAdUser, localUser, resetDatabase, TEST_PASSWORD } from "../integration/fixtures";
import { startWorker, type WorkerHandle } from "../integration/worker-process";
import { deleteFaultGroups, ensureFaultAccounts, freshPrivilegeGroups, memberDns, pool, REQUESTERS_CN, sleep, watchMemberships } from "./directory";
import { assertProductionBuild, signInOverHttp, startWeb, trpcOverHttp, TrpcError, type HttpStats, type WebHandle } from "./nodes";

/** Ten privileges: the first alone (extendable, revocable), then a set of four and a set of five: 10 grants from 3 requests per person. */
const GROUPS = 10;
const BULK_ACCOUNTS = 190; // 1,900 grants
const HTTP_USERS = 10; // 100 grants, over HTTP
const GRANTS = (BULK_ACCOUNTS + HTTP_USERS) * GROUPS;
const MIN_SECONDS = 20;
const MAX_SECONDS = 80;
const REVOKES = 80;
const SERVICE_EXTENSIONS = 30;
/** The single-worker fault test's bound (tests/fault/fault.test.ts, AFTER_RECOVERY_LIMIT_MS). */
const OUTLIVE_LIMIT_MS = 60_000;
const WEB_PORTS = [3230, 3231];
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!";

const startedAt = Date.now();
const log = (msg: string) => console.log(`[nodes ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

const webs: WebHandle[] = [];
const workers: WorkerHandle[] = [];
const stats: HttpStats = { byNode: {}, failovers: 0 };
const nodeUrls = () => webs.map((w) => w.url);
let carol: SessionUser;
let carolHttp: ReturnType<typeof trpcOverHttp>;
/** The HTTP users' clients, by their Interim user id. */
const httpPeople = new Map<string, ReturnType<typeof trpcOverHttp>>();
let bulkPeople: SessionUser[] = [];
let groupDns: string[] = [];
const privilegeIds: string[] = [];
let httpRequestIds: string[] = [];

beforeAll(async () => {
  assertProductionBuild();
  await resetDatabase();
  const admin = await adminClient();
  const accounts = await ensureFaultAccounts(admin, BULK_ACCOUNTS);
  const groups = await freshPrivilegeGroups(admin, GROUPS);
  const httpSams = Array.from({ length: HTTP_USERS }, (_, i) => `mn-http-${String(i + 1).padStart(2, "0")}`);
  for (const sam of httpSams) await ensureAdUser(admin, sam);
  await admin.unbind();
  groupDns = groups.map((g) => g.dn);

  carol = await localUser("carol", true);
  const actor = actorFor(carol);
  for (const [k, g] of groups.entries()) {
    const [found] = (await searchPrincipals("group", g.cn)).filter((p) => p.name === g.cn);
    const extendable = k === 0;
    const p = await publishPrivilege(carol, actor, {
      groupGuid: found!.objectGuid,
      name: `Nodes ${k + 1}`,
      description: "",
      maxDurationMinutes: 60,
      defaultDurationMinutes: 5,
      allowExtension: extendable,
      tags: ["nodes"],
    });
    privilegeIds.push(p.id);
  }
  const sets = [
    await createPrivilegeSet(carol, actor, { name: "Nodes four", privilegeIds: privilegeIds.slice(1, 5), credentialIds: [], allowOwnAccount: true }),
    await createPrivilegeSet(carol, actor, { name: "Nodes five", privilegeIds: privilegeIds.slice(5), credentialIds: [], allowOwnAccount: true }),
  ];
  const requesters = (await searchPrincipals("group", REQUESTERS_CN)).find((p) => p.name === REQUESTERS_CN);
  await configuredAccessGroup(carol, { name: "Nodes bulk", settings: { autoGrantOnProvisioning: true }, members: [requesters!.objectGuid] });
  const httpGroup = await configuredAccessGroup(carol, {
    name: "Nodes over HTTP",
    settings: { requiresApproval: true, autoGrantOnProvisioning: true },
    members: await Promise.all(httpSams.map((s) => directoryGuid(s))),
  });
  await updateApprovers(carol, actor, {
    id: httpGroup.id,
    version: httpGroup.version,
    approvers: [{ userGuid: await directoryGuid("carol"), level: 1 }],
    levels: [{ level: 1, requiredApprovals: 1 }],
  });

  // No worker runs yet: every grant waits in pending, so its duration can be shortened below.
  const subjects = [{ privilegeId: privilegeIds[0]! }, ...sets.map((set) => ({ privilegeSetId: set.id }))];
  bulkPeople = await pool(accounts.dns, 8, async (dn) => upsertDirectoryUser(db, (await getUser(dn))!, false, false));
  const s0 = Date.now();
  await pool(
    bulkPeople.flatMap((person) => subjects.map((subject) => ({ person, subject }))),
    8,
    async ({ person, subject }) => {
      const r = await submitRequest(person, actorFor(person), { ...subject, durationMinutes: 1, justification: "multi-node test" });
      if (r.status !== "approved") throw new Error("the bulk access group must not require approval");
    },
  );
  log(`submitted ${bulkPeople.length * subjects.length} requests through the services in ${((Date.now() - s0) / 1000).toFixed(1)} s`);

  webs.push(...(await Promise.all(WEB_PORTS.map((port) => startWeb(port)))));
  log(`web nodes up: ${nodeUrls().join(", ")}`);
  carolHttp = trpcOverHttp(nodeUrls, await signInAt(0, "carol", DEMO_PASSWORD), stats);
  const clients = await Promise.all(httpSams.map(async (sam, i) => trpcOverHttp(nodeUrls, await signInAt(i, sam, TEST_PASSWORD), stats)));
  const ids = await db.execute<{ id: string; username: string }>(sql`select id, username from users`);
  for (const [i, sam] of httpSams.entries()) httpPeople.set([...ids].find((u) => u.username.toLowerCase() === sam)!.id, clients[i]!);
  httpRequestIds = (
    await pool(
      [...httpPeople.values()].flatMap((client) => subjects.map((subject) => ({ client, subject }))),
      4,
      async ({ client, subject }) => {
        const r = (await client.mutation("requests.submit", { ...subject, durationMinutes: 1, justification: "multi-node test over HTTP" })) as {
          requestId: string;
          status: string;
        };
        if (r.status !== "pending") throw new Error(`expected the HTTP group's request to wait for approval, got ${r.status}`);
        return r.requestId;
      },
    )
  ).flat();
  await pool(httpRequestIds, 4, (requestId) => carolHttp.mutation("approvals.decide", { requestId, decision: "approve" }));
  log(`over HTTP: ${HTTP_USERS + 1} sign-ins, ${httpRequestIds.length} requests submitted and approved`);

  await db.execute(sql`
    with o as (select id, row_number() over (order by random()) - 1 as i from grants where state = 'pending')
    update grants g set duration_seconds = ${MIN_SECONDS} + floor(o.i * ${MAX_SECONDS - MIN_SECONDS}::numeric / ${GRANTS - 1})
    from o where g.id = o.id`);
}, 300_000);

/** Signs in on the web nodes in turn (each person's session then serves on any node). */
async function signInAt(i: number, username: string, password: string) {
  return signInOverHttp(webs[i % webs.length]!.url, username, password);
}

afterAll(async () => {
  for (const w of workers) await w.kill("SIGKILL");
  for (const w of webs) await w.kill("SIGKILL");
  const cleanup = await adminClient();
  await deleteFaultGroups(cleanup);
  await cleanup.unbind();
});

async function stateCounts(): Promise<Record<string, number>> {
  const rows = await db.execute<{ state: string; n: number }>(sql`select state::text, count(*)::int as n from grants group by state order by state`);
  return Object.fromEntries([...rows].map((r) => [r.state, r.n]));
}

const alive = (p: { child: { exitCode: number | null; signalCode: NodeJS.Signals | null } }) => p.child.exitCode === null && p.child.signalCode === null;

/** Active grants of the given privileges whose end is at least `marginS` away, not yet ending, in random order. */
async function activeGrants(ofPrivileges: string[], n: number, marginS: number) {
  const rows = await db.execute<{ id: string; user_id: string }>(sql`
    select id, user_id from grants
    where state = 'active' and end_reason is null and expires_at > now() + make_interval(secs => ${marginS})
      and privilege_id in (${sql.join(
        ofPrivileges.map((p) => sql`${p}::uuid`),
        sql`, `,
      )})
    order by random() limit ${n}`);
  return [...rows];
}

/** Revokes `n` active grants of the plain privileges over HTTP as the admin, a few at a time as they become active. */
async function revokeOverHttp(n: number) {
  const done = new Set<string>();
  while (done.size < n) {
    const batch = (await activeGrants(privilegeIds.slice(0, 1), n - done.size, 3)).filter((g) => !done.has(g.id));
    await pool(batch, 4, async (g) => {
      // It may have expired since it was read: then it is not counted.
      const ended = await carolHttp.mutation("grants.revoke", { grantId: g.id }).then(
        () => true,
        (err: unknown) => {
          if (err instanceof TrpcError && err.code === "CONFLICT") return false;
          throw err;
        },
      );
      if (ended) done.add(g.id);
    });
    if (done.size < n) await sleep(500);
  }
  return done.size;
}

/** Extensions: the HTTP users ask over HTTP (the admin approves over HTTP); some bulk holders extend through the service (automatic). */
async function extend() {
  const byId = new Map(bulkPeople.map((p) => [p.id, p]));
  let overHttp = 0;
  let service = 0;
  const errors = new Set<string>();
  const extendedIds = new Set<string>();
  // The HTTP users' grants were asked for last, so they activate late: keep trying while the backlog drains.
  for (const until = Date.now() + 100_000; Date.now() < until && (overHttp < HTTP_USERS / 2 || service < SERVICE_EXTENSIONS);) {
    const candidates = (await activeGrants(privilegeIds.slice(0, 1), 400, 8)).filter((g) => !extendedIds.has(g.id));
    const httpOnes = candidates.filter((g) => httpPeople.has(g.user_id)).slice(0, HTTP_USERS / 2 - overHttp);
    await pool(httpOnes, 4, async (g) => {
      // The holder asks with their own session.
      const r = (await httpPeople
        .get(g.user_id)!
        .mutation("grants.extend", { grantId: g.id, minutes: 1, justification: "more time" })
        .catch((err: Error) => {
          errors.add(`extend over HTTP: ${err.message}`);
          return null;
        })) as { requestId: string } | null;
      if (!r) return;
      extendedIds.add(g.id);
      await carolHttp.mutation("approvals.decide", { requestId: r.requestId, decision: "approve" }).then(
        () => overHttp++,
        (err: Error) => errors.add(`approve over HTTP: ${err.message}`),
      );
    });
    const serviceOnes = candidates.filter((g) => byId.has(g.user_id)).slice(0, SERVICE_EXTENSIONS - service);
    await pool(serviceOnes, 4, async (g) => {
      const holder = byId.get(g.user_id)!;
      await extendGrant(holder, actorFor(holder), { grantId: g.id, minutes: 1, justification: "more time" }).then(
        () => service++,
        (err: Error) => errors.add(`extend: ${err.message}`),
      );
    });
    await sleep(1_000);
  }
  if (errors.size) log(`extensions refused (the grant may have ended meanwhile): ${[...errors].slice(0, 5).join("; ")}`);
  return { overHttp, service };
}

describe("many nodes on one Postgres", () => {
  it("2 web and 3 worker processes, 2,000 grants of mixed life, a worker SIGKILLed and a web node restarted: each grant activated once and removed once", async () => {
    const plan = [...(await db.execute<{ id: string; member_dn: string; group_dn: string }>(sql`select id, member_dn, group_dn from grants`))].map((r) => ({
      grantId: r.id,
      memberDn: r.member_dn,
      groupDn: r.group_dn,
    }));
    expect(plan.length).toBe(GRANTS);
    const watch = watchMemberships(plan);
    const runStart = Date.now();
    workers.push(...(await Promise.all([1, 2, 3].map((n) => startWorker({ INTERIM_PROCESS: `interim-worker-${n}` })))));
    log("3 workers started");

    const revoked = revokeOverHttp(REVOKES);
    const extended = (async () => {
      await sleep(3_000);
      return extend();
    })();
    const chaos = (async () => {
      await sleep(6_000);
      await workers[1]!.kill("SIGKILL");
      log(`worker 2 SIGKILLed (not replaced): ${JSON.stringify(await stateCounts())}`);
      await sleep(4_000);
      await webs[1]!.kill("SIGTERM");
      log("web node 2 stopped; restarting it");
      webs[1] = await startWeb(WEB_PORTS[1]!);
      log(`web node 2 back: ${JSON.stringify(await stateCounts())}`);
    })();
    const [revokedCount, extensions] = await Promise.all([revoked, extended, chaos]);
    log(`revoked ${revokedCount} over HTTP; extended ${extensions.overHttp} over HTTP (approved over HTTP) and ${extensions.service} through the service`);

    // Everything must end by itself: at the latest the single-worker bound (plus a round of the watch) after the last end.
    let lastLog = 0;
    for (;;) {
      const counts = await stateCounts();
      const live = (counts.pending ?? 0) + (counts.provisioning ?? 0) + (counts.replicating ?? 0) + (counts.active ?? 0) + (counts.expiring ?? 0);
      const [last] = await db.execute<{ at: string | null }>(sql`select max(expires_at) as at from grants`);
      const deadline = (last!.at && (counts.pending ?? 0) === 0 ? new Date(last!.at).getTime() : Date.now()) + OUTLIVE_LIMIT_MS + 30_000;
      if (live === 0 || Date.now() > Math.min(deadline, runStart + 480_000)) break;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(JSON.stringify(counts));
      }
      await sleep(500);
    }
    const settledAt = Date.now();
    await sleep(1_500);
    await watch.stop();

    const leftInAd: string[] = [];
    const reader = await adminClient();
    for (const dn of groupDns) leftInAd.push(...[...(await memberDns(reader, dn))].map((m) => `${m} in ${dn}`));
    await reader.unbind();
    const rows = await db.execute<{ id: string; state: string; expires_at: string | null; last_error: string | null }>(sql`
      select id, state::text, expires_at, last_error from grants`);
    // A grant still active whose end (plus the single-worker bound) is not yet past is legitimately live (the 8-min cap), not stuck.
    const stillDue = new Set(
      [...rows].filter((r) => r.state === "active" && r.expires_at && new Date(r.expires_at).getTime() + OUTLIVE_LIMIT_MS > settledAt).map((r) => r.id),
    );
    const stuck = [...rows]
      .filter((r) => r.state !== "expired" && r.state !== "revoked" && !stillDue.has(r.id))
      .map((r) => `${r.id}: ${r.state} ${r.last_error ?? ""}`);
    const byId = new Map([...rows].map((r) => [r.id, r]));
    const outlived: string[] = [];
    let maxOutlived = -Infinity;
    for (const p of plan) {
      const g = byId.get(p.grantId)!;
      const seen = watch.sighting(p.groupDn, p.memberDn);
      if (!g.expires_at || seen.lastSeenAt === null) continue;
      const over = (seen.goneBy ?? settledAt) - new Date(g.expires_at).getTime();
      maxOutlived = Math.max(maxOutlived, over);
      if (over > OUTLIVE_LIMIT_MS) outlived.push(`${p.memberDn} in ${p.groupDn}: ${(over / 1000).toFixed(1)} s past its end`);
    }
    const audit = await db.execute<{ id: string; activated: number; removed: number }>(sql`
      select g.id,
             count(a.seq) filter (where a.action = 'grant.activated')::int as activated,
             count(a.seq) filter (where a.action = 'grant.removed')::int as removed
      from grants g left join audit_events a on a.target_type = 'grant' and a.target_id = g.id::text
      group by g.id`);
    const notOnce = [...audit]
      .filter((a) => a.activated !== 1 || a.removed !== (stillDue.has(a.id) ? 0 : 1))
      .map((a) => `${a.id}: activated ${a.activated}, removed ${a.removed}`);
    const [ends] = await db.execute<{ revoked: number; extended: number }>(sql`
      select count(*) filter (where end_reason = 'revoked')::int as revoked,
             (select count(distinct target_id) from audit_events where action = 'grant.extended')::int as extended
      from grants`);
    const verify = await runAuditVerify();
    const killed = workers[1]!;
    const diedOnTheirOwn = workers.filter((w) => w !== killed && !alive(w)).map((w) => w.output().slice(-2000));
    const websDown = webs.filter((w) => !alive(w)).map((w) => w.output().slice(-2000));

    log(
      [
        `RESULT ${GRANTS} grants: ${JSON.stringify(await stateCounts())} at +${((settledAt - runStart) / 1000).toFixed(1)} s`,
        `revoked ${ends!.revoked} (set siblings included), extended ${ends!.extended}; longest a membership outlived its end: ${(maxOutlived / 1000).toFixed(1)} s`,
        `still active before their end (not stuck): ${stillDue.size}`,
        `HTTP calls by node: ${JSON.stringify(stats.byNode)}, moved to another node ${stats.failovers}`,
        `watch ${JSON.stringify(watch.stats())}; ${verify.out.trim().split("\n")[0]}`,
      ].join("\n  "),
    );

    expect(diedOnTheirOwn, "a worker died without being killed").toEqual([]);
    expect(websDown, "a web node is down").toEqual([]);
    expect(stuck.slice(0, 20), "grants stuck or failed").toEqual([]);
    expect(notOnce.slice(0, 20), "grants not activated exactly once and removed exactly once").toEqual([]);
    expect(leftInAd.slice(0, 20), "memberships left in AD").toEqual([]);
    expect(outlived.slice(0, 20), "memberships that outlived their grant by more than the single-worker bound").toEqual([]);
    expect(ends!.revoked).toBeGreaterThanOrEqual(REVOKES);
    expect(extensions.overHttp).toBeGreaterThan(0);
    expect(extensions.service).toBeGreaterThan(0);
    for (const url of WEB_PORTS.map((p) => `http://127.0.0.1:${p}`)) expect(stats.byNode[url] ?? 0, `calls served by ${url}`).toBeGreaterThan(20);
    expect(verify.code, verify.out).toBe(0);
  }, 600_000);
});
