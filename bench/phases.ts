/**
 * The four measurements. Each returns plain data for the table and the JSON file, and pushes
 * anything that went wrong (a membership not removed, a timeout, a failed grant) to `problems`.
 */
import { sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { db } from "@/db";
import type { AuditActor } from "@/server/audit/events";
import { reconcile } from "@/server/grants/reconcile";
import { endGrant } from "@/server/grants/service";
import { submitRequest } from "@/server/requests/service";
import { groupMembers, hasDirectMembership, modifyMembers } from "./lib/ldap";
import { log, ms, pool, rate, sleep, summarize, type Summary } from "./lib/stats";
import type { WorkerControl } from "./lib/worker";
import type { BenchGroup, BenchUser, Fixture } from "./setup";

export type Problems = string[];

const actorOf = (u: BenchUser): AuditActor => ({ type: "user", id: u.session.id, name: `${u.sam} (bench)`, ip: "127.0.0.1" });

// ---------------------------------------------------------------- phase 1 --

export interface RawAddResult {
  samples: number;
  addMs: Summary;
  removeMs: Summary;
}

/** 200× add one member then remove it, one value per modify, on a dedicated service-account connection. */
export async function rawSingleAdd(client: Client, groupDn: string, memberDn: string, samples: number, problems: Problems): Promise<RawAddResult> {
  const add: number[] = [];
  const remove: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const a0 = performance.now();
    await modifyMembers(client, "add", groupDn, [memberDn]);
    const a1 = performance.now();
    await modifyMembers(client, "delete", groupDn, [memberDn]);
    const a2 = performance.now();
    if (i >= 5) {
      // the first 5 pairs warm up the connection and the DC's caches
      add.push(a1 - a0);
      remove.push(a2 - a1);
    }
  }
  if ((await groupMembers(client, groupDn)).length !== 0) problems.push(`raw add/remove: ${groupDn} is not empty afterwards`);
  return { samples, addMs: summarize(add), removeMs: summarize(remove) };
}

// ---------------------------------------------------------------- phase 2 --

export interface GrantLatencyResult {
  samples: number;
  pollIntervalMs: number;
  latencyMs: Summary;
  submitMs: Summary;
  /** Worker-side view: grants.activated_at − grants.created_at (DB clock). */
  dbActivationMs: Summary;
  /** From the audit trail's timestamps: request committed → worker claimed the grant (job pickup). */
  pickupMs: Summary;
  /** Worker claimed the grant → grant.activated recorded (LDAP add + two transactions). */
  applyMs: Summary;
  endAll: EndResult;
}

export interface EndResult {
  grants: number;
  /** From the last endGrant call until the last membership was gone (removed_at written). */
  seconds: number;
  verifiedAbsent: number;
}

/** Waits until the DC shows the user in the group; returns performance.now() at that moment. */
async function waitForMembership(client: Client, userDn: string, groupDn: string, pollMs: number, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await hasDirectMembership(client, userDn, groupDn)) return performance.now();
    if (performance.now() > deadline) return null;
    await sleep(pollMs);
  }
}

interface LiveGrant {
  grantId: string;
  user: BenchUser;
  group: BenchGroup;
}

export async function grantLatency(
  fx: Fixture,
  poll: Client,
  worker: WorkerControl,
  opts: { samples: number; pollMs: number; label: string },
  problems: Problems,
): Promise<GrantLatencyResult> {
  const latency: number[] = [];
  const submit: number[] = [];
  const live: LiveGrant[] = [];
  const K = fx.groups.length;
  for (let i = 0; i < opts.samples; i++) {
    worker.assertAlive();
    const user = fx.users[i % fx.users.length]!;
    const group = fx.groups[i % K]!;
    const s0 = performance.now();
    const { grantId: maybeGrant } = await submitRequest(user.session, actorOf(user), { privilegeId: group.privilegeId, durationMinutes: 60, justification: opts.label });
    if (maybeGrant === null) throw new Error("the bench access group must not require approval");
    const grantId = maybeGrant;
    const t0 = performance.now(); // the transaction has committed
    live.push({ grantId, user, group });
    const t1 = await waitForMembership(poll, user.dn, group.dn, opts.pollMs, 15_000);
    if (t1 === null) {
      problems.push(`grant latency: ${user.sam} did not appear in "${group.name}" within 15 s (grant ${grantId})`);
      continue;
    }
    submit.push(t0 - s0);
    latency.push(t1 - t0);
    if ((i + 1) % 50 === 0) {
      const s = summarize(latency);
      log(`  ${i + 1}/${opts.samples} grants: p50 ${ms(s.p50)}, max ${ms(s.max)}`);
    }
  }
  const rows = await db.execute<{ ms: number }>(sql`
    select extract(epoch from (g.activated_at - g.created_at)) * 1000 as ms
    from grants g join requests r on r.id = g.request_id
    where r.justification = ${opts.label} and g.activated_at is not null`);
  const steps = await db.execute<{ pickup: number; apply: number }>(sql`
    select extract(epoch from (p.at - s.at)) * 1000 as pickup, extract(epoch from (a.at - p.at)) * 1000 as apply
    from grants g
    join requests r on r.id = g.request_id
    join audit_events s on s.action = 'request.submitted' and s.target_id = r.id::text
    join audit_events p on p.action = 'grant.provisioning' and p.target_id = g.id::text
    join audit_events a on a.action = 'grant.activated' and a.target_id = g.id::text
    where r.justification = ${opts.label}`);
  const endAll = await endAndWait(fx, poll, worker, live, opts.label, problems);
  return {
    samples: opts.samples,
    pollIntervalMs: opts.pollMs,
    latencyMs: summarize(latency),
    submitMs: summarize(submit),
    dbActivationMs: summarize([...rows].map((r) => Number(r.ms))),
    pickupMs: summarize([...steps].map((r) => Number(r.pickup))),
    applyMs: summarize([...steps].map((r) => Number(r.apply))),
    endAll,
  };
}

/** Ends the grants through endGrant (as the admin: revoke), waits until all are removed, checks the DC. */
export async function endAndWait(fx: Fixture, poll: Client, worker: WorkerControl, live: LiveGrant[], label: string, problems: Problems): Promise<EndResult> {
  for (const g of live) await endGrant(fx.admin, fx.adminActor, g.grantId, "revoked");
  const t0 = performance.now();
  const deadline = t0 + 60_000 + live.length * 50;
  for (;;) {
    worker.assertAlive();
    const [row] = await db.execute<{ left: number; failed: number }>(sql`
      select count(*) filter (where g.removed_at is null)::int as left, count(*) filter (where g.state = 'failed')::int as failed
      from grants g join requests r on r.id = g.request_id where r.justification = ${label}`);
    if (row!.left === 0) break;
    if (performance.now() > deadline) {
      problems.push(`ending "${label}" grants: ${row!.left} not removed after ${ms(performance.now() - t0)}`);
      break;
    }
    await sleep(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  let verifiedAbsent = 0;
  await pool(live, 8, async (g) => {
    if (await hasDirectMembership(poll, g.user.dn, g.group.dn)) problems.push(`${g.user.sam} is still in "${g.group.name}" after its grant ended`);
    else verifiedAbsent++;
  });
  return { grants: live.length, seconds, verifiedAbsent };
}

// ---------------------------------------------------------------- phase 3 --

export interface ExpiryResult {
  grants: number;
  groups: number;
  submit: { seconds: number; perSecond: number };
  /** Backlog of M activation jobs drained by a freshly started worker: first claim → last activated_at. */
  activation: { seconds: number; perSecond: number; workerStartToFirstClaimSeconds: number; workerStartToAllActiveSeconds: number; verifiedMembers: number };
  /** One full reconcile (directory vs grants, drift included) while the M grants are active. */
  reconcile: { seconds: number; groupsChecked: number; activeGrants: number };
  expiresAt: string;
  lagMs: Summary;
  /** One entry per removal transaction (same removed_at): when, how many grants, how many groups, audit commit time. */
  removalBatches: { afterTms: number; grants: number; groups: number; auditAfterTms: number | null }[];
  firstRemovalAfterTms: number;
  lastRemovalAfterTms: number;
  /** Seconds the moving statement (expires_at + re-keyed jobs) took, and the lead T had when it committed. */
  update: { seconds: number; leadSeconds: number; headroomMs: number };
  /** DC-side check of removed_at with sentinel memberships (see the probe loop). */
  dcSentinels: {
    user: string;
    group: string;
    removedAtAfterTms: number | null;
    lastSeenPresentProbeSentAfterTms: number | null;
    firstSeenGoneAfterTms: number | null;
    maxProbeRttMs: number;
    probeErrors: string[];
  }[];
  removalPerSecond: number;
  membersLeft: number;
  worker: { failedJobs: number; jobsWithErrors: number; grantsWithRetries: number; sampleJobErrors: string[]; jobsWithErrorsByTask: { task: string; n: number; failed: number; pending: number }[] };
  timedOut: boolean;
}

export async function expiryLag(
  fx: Fixture,
  poll: Client,
  worker: WorkerControl,
  opts: { grants: number; label: string; leadSeconds: number },
  problems: Problems,
): Promise<ExpiryResult> {
  const M = opts.grants;
  const K = fx.groups.length;
  if (fx.users.length < M) throw new Error(`need ${M} bench users, have ${fx.users.length}`);
  // grant j: user j in group j mod K (each user holds one grant; each group gets ≈M/K members)
  const plan = Array.from({ length: M }, (_, j) => ({ user: fx.users[j]!, group: fx.groups[j % K]! }));

  // The worker is stopped while the requests go in, so the activation rate measured below is the
  // worker's (draining a backlog), not the rate at which this process can submit.
  await worker.stop();
  log(`submitting ${M} requests (4 at a time, worker stopped) …`);
  const s0 = performance.now();
  let submitted = 0;
  await pool(plan, 4, async ({ user, group }) => {
    await submitRequest(user.session, actorOf(user), { privilegeId: group.privilegeId, durationMinutes: 60, justification: opts.label });
    if (++submitted % 1000 === 0) log(`  ${submitted}/${M} submitted`);
  });
  const submitSeconds = (performance.now() - s0) / 1000;
  log(`submitted ${M} in ${submitSeconds.toFixed(1)} s; starting the worker and waiting until every grant is active …`);
  const w0 = performance.now();
  const workerStartedAt = new Date();
  worker.start();

  const deadline = performance.now() + 120_000 + M * 60;
  let lastLog = 0;
  let progress = { active: -1, at: performance.now() };
  for (;;) {
    worker.assertAlive();
    const [c] = await db.execute<{ active: number; failed: number; total: number }>(sql`
      select count(*) filter (where g.state = 'active')::int as active, count(*) filter (where g.state = 'failed')::int as failed, count(*)::int as total
      from grants g join requests r on r.id = g.request_id where r.justification = ${opts.label}`);
    if (c!.failed > 0) throw new Error(`${c!.failed} grant(s) failed to activate: ${await activationErrors(opts.label)}`);
    if (c!.active === M) break;
    if (c!.active !== progress.active) progress = { active: c!.active, at: performance.now() };
    else if (performance.now() - progress.at > 30_000) {
      throw new Error(`activation stalled at ${c!.active}/${M} for 30 s: ${await activationErrors(opts.label)}`);
    }
    if (performance.now() > deadline) throw new Error(`only ${c!.active}/${M} grants active ${ms(performance.now() - w0)} after the worker started`);
    if (performance.now() - lastLog > 2000) {
      lastLog = performance.now();
      log(`  ${c!.active}/${M} active, ${ms(performance.now() - w0)} after the worker started`);
    }
    await sleep(200);
  }
  const [act] = await db.execute<{ drain: number; total: number; first_claim: number }>(sql`
    select extract(epoch from (max(g.activated_at) - min(p.at)))::float8 as drain,
           extract(epoch from (max(g.activated_at) - ${workerStartedAt.toISOString()}::timestamptz))::float8 as total,
           extract(epoch from (min(p.at) - ${workerStartedAt.toISOString()}::timestamptz))::float8 as first_claim
    from grants g join requests r on r.id = g.request_id
    join audit_events p on p.action = 'grant.provisioning' and p.target_id = g.id::text
    where r.justification = ${opts.label}`);
  const activationSeconds = Number(act!.drain);
  log(`all ${M} active: ${activationSeconds.toFixed(1)} s from the first claim to the last activation (${rate(M / activationSeconds, " grants/s")}); worker start → first claim ${Number(act!.first_claim).toFixed(1)} s`);

  // The memberships are real: every group holds exactly its planned members.
  let verifiedMembers = 0;
  for (const group of fx.groups) {
    const want = new Set(plan.filter((p) => p.group === group).map((p) => p.user.dn.toLowerCase()));
    const have = new Set((await groupMembers(poll, group.dn)).map((d) => d.toLowerCase()));
    const missing = [...want].filter((d) => !have.has(d));
    const extra = [...have].filter((d) => !want.has(d));
    if (missing.length || extra.length) problems.push(`"${group.name}" before expiry: ${missing.length} planned member(s) missing, ${extra.length} unexpected`);
    verifiedMembers += want.size - missing.length;
  }
  log(`verified on the DC: ${verifiedMembers}/${M} memberships present`);

  // Reconcile with every grant active: it reads each managed group and compares it with the grants.
  // (The worker's own cron may run beside it; the figure is one full pass.)
  const r0 = performance.now();
  const rec = await reconcile();
  const reconcileSeconds = (performance.now() - r0) / 1000;
  if (rec.orphansRemoved || rec.reapplied || rec.standingRemoved || rec.errors.length) {
    problems.push(`reconcile with all grants active changed something: ${JSON.stringify({ ...rec, errors: rec.errors.slice(0, 3) })}`);
  }
  log(`reconcile with ${M} active grants: ${reconcileSeconds.toFixed(2)} s (${rec.groupsChecked} groups checked)`);

  // Everything expires at one instant T; the per-grant jobs are re-keyed to T as an extension would.
  const u0 = performance.now();
  const [moved] = await db.transaction(async (tx) => {
    const r = await tx.execute<{ n: number; jobs: number; t: Date | string }>(sql`
      with moved as (
        update grants g set expires_at = now() + make_interval(secs => ${opts.leadSeconds}), updated_at = now()
        from requests r
        where r.id = g.request_id and r.justification = ${opts.label} and g.state = 'active'
        returning g.id, g.expires_at
      ), jobs as (
        select j.id from moved m, lateral graphile_worker.add_job(
          identifier => 'grants__expire',
          payload => json_build_object('grantId', m.id),
          run_at => m.expires_at,
          max_attempts => 25,
          job_key => 'grant:expire:' || m.id,
          job_key_mode => 'replace') j
      )
      select (select count(*) from moved)::int as n, (select count(*) from jobs)::int as jobs, (select min(expires_at) from moved) as t`);
    await tx.execute(sql`select pg_notify('interim_grant_schedule', '')`);
    return [...r];
  });
  const updateSeconds = (performance.now() - u0) / 1000;
  const T = new Date(moved!.t);
  if (moved!.n !== M || moved!.jobs !== M) problems.push(`expiry: moved ${moved!.n} grants / ${moved!.jobs} jobs, expected ${M}`);
  const headroom = T.getTime() - Date.now();
  log(`${moved!.n} grants (and their jobs) now expire at T = ${T.toISOString()}: statement committed after ${updateSeconds.toFixed(1)} s, T in ${(headroom / 1000).toFixed(1)} s; waiting …`);
  if (headroom < 500) {
    problems.push(`expiry: the statement moving the expiries committed only ${ms(headroom)} before T (lead ${opts.leadSeconds} s): lags would include its run time; raise BENCH_EXPIRY_LEAD_SECONDS`);
  }

  // DC-side cross-check of removed_at: two sentinel memberships per group, probed on the DC every
  // 200 ms from T − 0.2 s (a base search on the user's memberOf, ~0.5 ms; reading the groups
  // themselves would cost ~10 ms each at 1,000 members and slow the DC down under measurement).
  // A probe sent after a grant's removed_at must not find the membership: removed_at is written
  // only after the DC acknowledged the modify. Probes queue behind modifies on a busy DC, so the
  // first "gone" answer is only an upper bound of when the removal happened.
  const sentinels = fx.groups.flatMap((g) => {
    const mine = plan.filter((p) => p.group === g);
    return [...new Set([mine[0], mine[mine.length - 1]])]
      .filter((p) => p !== undefined)
      .map((p) => ({ user: p!.user, group: g, lastPresentSentAt: null as number | null, goneAt: null as number | null, maxRttMs: 0, errors: [] as string[] }));
  });
  let dcStop = false;
  const dcWatch = (async () => {
    while (Date.now() < T.getTime() - 200 && !dcStop) await sleep(20);
    while (!dcStop && sentinels.some((x) => x.goneAt === null)) {
      await Promise.all(
        sentinels
          .filter((x) => x.goneAt === null)
          .map(async (x) => {
            const sent = Date.now();
            const present = await hasDirectMembership(poll, x.user.dn, x.group.dn).catch((err: unknown) => {
              x.errors.push(err instanceof Error ? err.message : String(err));
              return null;
            });
            const now = Date.now();
            if (present === null) return;
            x.maxRttMs = Math.max(x.maxRttMs, now - sent);
            if (present) x.lastPresentSentAt = Math.max(x.lastPresentSentAt ?? sent, sent);
            else x.goneAt ??= now;
          }),
      );
      await sleep(200);
    }
  })();

  const waitStart = performance.now();
  const expiryDeadline = waitStart + opts.leadSeconds * 1000 + 60_000 + M * 20;
  let timedOut = false;
  lastLog = 0;
  for (;;) {
    worker.assertAlive();
    const [c] = await db.execute<{ removed: number; expiring: number; active: number; errors: number }>(sql`
      select count(*) filter (where g.removed_at is not null)::int as removed,
             count(*) filter (where g.state = 'expiring')::int as expiring,
             count(*) filter (where g.state = 'active')::int as active,
             count(*) filter (where g.last_error is not null)::int as errors
      from grants g join requests r on r.id = g.request_id where r.justification = ${opts.label}`);
    if (c!.removed === M) break;
    if (performance.now() > expiryDeadline) {
      timedOut = true;
      problems.push(`expiry: only ${c!.removed}/${M} removed ${ms(performance.now() - waitStart)} after the update (${c!.active} active, ${c!.expiring} expiring, ${c!.errors} with errors)`);
      break;
    }
    if (performance.now() - lastLog > 1000) {
      lastLog = performance.now();
      const toT = T.getTime() - Date.now();
      log(`  ${toT > 0 ? `T−${(toT / 1000).toFixed(1)} s` : `T+${(-toT / 1000).toFixed(1)} s`}: ${c!.removed}/${M} removed, ${c!.expiring} expiring, ${c!.active} active${c!.errors ? `, ${c!.errors} with errors` : ""}`);
    }
    await sleep(100);
  }

  await Promise.race([dcWatch, sleep(timedOut ? 0 : 3000)]);
  dcStop = true;
  await dcWatch;
  const sentinelRows = await db.execute<{ member_dn: string; after_t: number }>(sql`
    select g.member_dn, extract(epoch from (g.removed_at - ${T.toISOString()}::timestamptz)) * 1000 as after_t
    from grants g join requests r on r.id = g.request_id
    where r.justification = ${opts.label} and g.removed_at is not null`);
  const removedAfterT = new Map([...sentinelRows].map((r) => [r.member_dn.toLowerCase(), Number(r.after_t)]));
  const rel = (t: number | null) => (t === null ? null : t - T.getTime());
  const dcSentinels = sentinels.map((x) => ({
    user: x.user.sam,
    group: x.group.name,
    removedAtAfterTms: removedAfterT.get(x.user.dn.toLowerCase()) ?? null,
    lastSeenPresentProbeSentAfterTms: rel(x.lastPresentSentAt),
    firstSeenGoneAfterTms: rel(x.goneAt),
    maxProbeRttMs: x.maxRttMs,
    probeErrors: x.errors.slice(0, 3),
  }));
  for (const x of dcSentinels) {
    if (x.firstSeenGoneAfterTms === null) problems.push(`sentinel ${x.user} in "${x.group}" was never seen gone on the DC during the wait`);
    // 20 ms: the DB's now() and this process's Date.now() are the same clock, but read at different moments.
    else if (x.removedAtAfterTms !== null && x.lastSeenPresentProbeSentAfterTms !== null && x.lastSeenPresentProbeSentAfterTms > x.removedAtAfterTms + 20) {
      problems.push(
        `sentinel ${x.user} in "${x.group}": removed_at is T+${ms(x.removedAtAfterTms)}, but a probe sent at T+${ms(x.lastSeenPresentProbeSentAfterTms)} still found the membership on the DC`,
      );
    }
  }

  const lags = await db.execute<{ lag: number; after_t: number }>(sql`
    select extract(epoch from (g.removed_at - g.expires_at)) * 1000 as lag,
           extract(epoch from (g.removed_at - ${T.toISOString()}::timestamptz)) * 1000 as after_t
    from grants g join requests r on r.id = g.request_id
    where r.justification = ${opts.label} and g.removed_at is not null`);
  const lagValues = [...lags].map((r) => Number(r.lag));
  const afterT = [...lags].map((r) => Number(r.after_t));
  const lagMs = summarize(lagValues);
  const first = Math.min(...afterT);
  const last = Math.max(...afterT);

  const batches = await db.execute<{ after_t: number; n: number; groups: number; audit_after_t: number | null }>(sql`
    select extract(epoch from (g.removed_at - ${T.toISOString()}::timestamptz)) * 1000 as after_t, count(*)::int as n,
           count(distinct g.group_dn)::int as groups,
           extract(epoch from (max(a.at) - ${T.toISOString()}::timestamptz)) * 1000 as audit_after_t
    from grants g join requests r on r.id = g.request_id
    left join audit_events a on a.action = 'grant.removed' and a.target_id = g.id::text
    where r.justification = ${opts.label} and g.removed_at is not null
    group by g.removed_at order by g.removed_at`);
  const removalBatches = [...batches].map((b) => ({
    afterTms: Number(b.after_t),
    grants: b.n,
    groups: b.groups,
    auditAfterTms: b.audit_after_t === null ? null : Number(b.audit_after_t),
  }));

  // Nothing may be left on the DC.
  let membersLeft = 0;
  for (const group of fx.groups) {
    const left = await groupMembers(poll, group.dn);
    membersLeft += left.length;
    if (left.length) problems.push(`"${group.name}" still has ${left.length} member(s) after every grant expired (e.g. ${left[0]})`);
  }
  log(`verified on the DC: ${membersLeft === 0 ? "all bench groups are empty" : `${membersLeft} member(s) left!`}`);

  // What the worker went through: per-grant jobs that failed (retries) while the sweep did the work.
  const [jobs] = await db.execute<{ failed: number; errs: number }>(sql`
    select count(*) filter (where attempts >= max_attempts)::int as failed, count(*) filter (where last_error is not null)::int as errs
    from graphile_worker.jobs`);
  const sample = await db.execute<{ e: string; n: number }>(sql`
    select left(regexp_replace(last_error, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'), 200) as e, count(*)::int as n
    from graphile_worker.jobs where last_error is not null group by 1 order by 2 desc limit 3`);
  const byTask = await db.execute<{ task: string; n: number; failed: number; pending: number }>(sql`
    select task_identifier as task, count(*)::int as n, count(*) filter (where attempts >= max_attempts)::int as failed,
           count(*) filter (where attempts < max_attempts)::int as pending
    from graphile_worker.jobs where last_error is not null group by 1 order by 1`);
  const [retried] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from grants g join requests r on r.id = g.request_id
    where r.justification = ${opts.label} and (g.attempts > 1 or g.last_error is not null)`);

  return {
    grants: M,
    groups: K,
    submit: { seconds: submitSeconds, perSecond: M / submitSeconds },
    reconcile: { seconds: reconcileSeconds, groupsChecked: rec.groupsChecked, activeGrants: M },
    activation: {
      seconds: activationSeconds,
      perSecond: M / activationSeconds,
      workerStartToFirstClaimSeconds: Number(act!.first_claim),
      workerStartToAllActiveSeconds: Number(act!.total),
      verifiedMembers,
    },
    removalBatches,
    expiresAt: T.toISOString(),
    lagMs,
    update: { seconds: updateSeconds, leadSeconds: opts.leadSeconds, headroomMs: headroom },
    dcSentinels,
    firstRemovalAfterTms: first,
    lastRemovalAfterTms: last,
    removalPerSecond: M / Math.max(0.001, last / 1000),
    membersLeft,
    worker: {
      failedJobs: jobs!.failed,
      jobsWithErrors: jobs!.errs,
      grantsWithRetries: retried!.n,
      sampleJobErrors: [...sample].map((s) => `${s.n}× ${s.e}`),
      jobsWithErrorsByTask: [...byTask].map((t) => ({ task: t.task, n: t.n, failed: t.failed, pending: t.pending })),
    },
    timedOut,
  };
}

/** The most frequent activation errors (grants.last_error, else the jobs' last_error), for a failure message. */
async function activationErrors(label: string): Promise<string> {
  const rows = await db.execute<{ e: string; n: number }>(sql`
    select left(regexp_replace(coalesce(g.last_error, j.last_error, 'no error recorded'), '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'), 300) as e, count(*)::int as n
    from grants g join requests r on r.id = g.request_id
    left join graphile_worker.jobs j on j.key = 'grant:activate:' || g.id::text
    where r.justification = ${label} and g.state <> 'active'
    group by 1 order by 2 desc limit 3`);
  return [...rows].map((r) => `${r.n}× ${r.e}`).join(" | ") || "no errors recorded";
}

// ---------------------------------------------------------------- phase 4 --

export interface RawRemoveMode {
  valuesPerModify: number;
  /** How members are named in the modify: DNs, or `<GUID=…>` references (as Interim's worker does). */
  valueForm: "dn" | "guid";
  values: number;
  modifies: number;
  seconds: number;
  perSecond: number;
  modifyMs: Summary;
}

export interface RawRemoveResult {
  groupSize: number;
  fill: { valuesPerModify: number; seconds: number; perSecond: number };
  modes: RawRemoveMode[];
}

async function timedChanges(client: Client, op: "add" | "delete", groupDn: string, values: string[], perModify: number): Promise<RawRemoveMode> {
  const each: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < values.length; i += perModify) {
    const a = performance.now();
    await modifyMembers(client, op, groupDn, values.slice(i, i + perModify));
    each.push(performance.now() - a);
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    valuesPerModify: perModify,
    valueForm: values[0]?.startsWith("<GUID=") ? "guid" : "dn",
    values: values.length,
    modifies: each.length,
    seconds,
    perSecond: values.length / seconds,
    modifyMs: summarize(each),
  };
}

/** Ceilings: how fast the DC takes removals from a group of M members, by values per modify. */
export async function rawRemoveThroughput(
  client: Client,
  groupDn: string,
  memberDns: string[],
  memberGuidRefs: string[],
  opts: { singleCap: number; batches: number[] },
  problems: Problems,
): Promise<RawRemoveResult> {
  const M = memberDns.length;
  log(`filling the raw group with ${M} members (500 per modify) …`);
  const fill = await timedChanges(client, "add", groupDn, memberDns, 500);
  log(`  filled in ${fill.seconds.toFixed(1)} s (${rate(fill.perSecond, " adds/s")})`);
  const modes: RawRemoveMode[] = [];

  const refill = async (removed: string[]) => {
    for (let i = 0; i < removed.length; i += 500) await modifyMembers(client, "add", groupDn, removed.slice(i, i + 500));
  };

  const single = memberDns.slice(0, Math.min(opts.singleCap, M));
  log(`removing ${single.length} of ${M} members one value per modify …`);
  const s = await timedChanges(client, "delete", groupDn, single, 1);
  modes.push(s);
  log(`  ${rate(s.perSecond, " changes/s")} (modify p50 ${ms(s.modifyMs.p50)})`);
  await refill(single);

  // The last run repeats the largest batch with <GUID=…> values, the form Interim's worker sends.
  const runs = [...opts.batches.map((b) => ({ b, values: memberDns })), { b: Math.max(...opts.batches), values: memberGuidRefs }];
  for (const [i, run] of runs.entries()) {
    const size = (await groupMembers(client, groupDn)).length;
    if (size !== M) problems.push(`raw group holds ${size} members before the ${run.b}-value run, expected ${M}`);
    const form = run.values === memberGuidRefs ? "<GUID=…> values" : "DN values";
    log(`removing all ${M} members, ${run.b} ${form} per modify …`);
    const r = await timedChanges(client, "delete", groupDn, run.values, run.b);
    modes.push(r);
    log(`  ${rate(r.perSecond, " changes/s")} (${r.modifies} modifies, p50 ${ms(r.modifyMs.p50)} each)`);
    if (i < runs.length - 1) await refill(memberDns);
  }
  const left = (await groupMembers(client, groupDn)).length;
  if (left) problems.push(`raw group still has ${left} member(s) after the removal runs`);
  return { groupSize: M, fill: { valuesPerModify: 500, seconds: fill.seconds, perSecond: fill.perSecond }, modes };
}
