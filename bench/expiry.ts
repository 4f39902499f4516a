/**
 * Expiry measured the same way for every phase that uses it: the planned grants (all active) are
 * moved to expire at one instant T, the bench waits until the worker removed them all, and reads
 * the lags, the removal transactions and the DC's view (sentinel probes, every group empty).
 * Also the checks that frame it: the planned memberships are on the DC, and one timed reconcile.
 */
import { sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { db } from "@/db";
import { EXPIRY_JOB_GRACE_MS } from "@/server/grants/timing";
import { reconcile } from "@/server/grants/reconcile";
import { notifyScheduleChanged } from "@/server/jobs/enqueue";
import { addJobs, jobFailures } from "@/server/jobs/queue";
import { jobKeys, jobs } from "@/server/jobs/registry";
import { groupMembers, hasDirectMembership } from "./lib/ldap";
import { log, ms, sleep, summarize, type Summary } from "./lib/stats";
import type { WorkerControl } from "./lib/worker";
import type { Problems } from "./phases";
import type { BenchGroup, BenchUser } from "./setup";

export interface PlannedGrant {
  user: BenchUser;
  group: BenchGroup;
}

/** Every group holds exactly its planned members; returns how many planned memberships are there. */
export async function verifyPlanned(poll: Client, groups: BenchGroup[], plan: PlannedGrant[], problems: Problems): Promise<number> {
  let verified = 0;
  for (const group of groups) {
    const want = new Set(plan.filter((p) => p.group === group).map((p) => p.user.dn.toLowerCase()));
    const have = new Set((await groupMembers(poll, group.dn)).map((d) => d.toLowerCase()));
    const missing = [...want].filter((d) => !have.has(d));
    const extra = [...have].filter((d) => !want.has(d));
    if (missing.length || extra.length) problems.push(`"${group.name}" before expiry: ${missing.length} planned member(s) missing, ${extra.length} unexpected`);
    verified += want.size - missing.length;
  }
  log(`verified on the DC: ${verified}/${plan.length} memberships present`);
  return verified;
}

export interface ReconcileTiming {
  seconds: number;
  groupsChecked: number;
  activeGrants: number;
}

/**
 * One full reconcile pass (every managed group read from the DC and compared with the grants,
 * drift included) while the planned grants are active; it must find nothing to change.
 */
export async function timedReconcile(activeGrants: number, problems: Problems): Promise<ReconcileTiming> {
  const r0 = performance.now();
  const rec = await reconcile();
  const seconds = (performance.now() - r0) / 1000;
  if (rec.orphansRemoved || rec.reapplied || rec.standingRemoved || rec.errors.length) {
    problems.push(`reconcile with ${activeGrants} grants active changed something: ${JSON.stringify({ ...rec, errors: rec.errors.slice(0, 3) })}`);
  }
  log(`reconcile with ${activeGrants} active grants: ${seconds.toFixed(2)} s (${rec.groupsChecked} groups checked)`);
  return { seconds, groupsChecked: rec.groupsChecked, activeGrants };
}

export interface ExpiryTogetherResult {
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
  worker: {
    failedJobs: number;
    jobsWithErrors: number;
    grantsWithRetries: number;
    sampleJobErrors: string[];
    jobsWithErrorsByTask: { task: string; n: number; failed: number; pending: number }[];
  };
  timedOut: boolean;
}

/** Moves every planned (active) grant of `label` to expire at T = now + lead, and measures their removal. */
export async function expireTogether(
  poll: Client,
  worker: WorkerControl,
  opts: { plan: PlannedGrant[]; groups: BenchGroup[]; label: string; leadSeconds: number },
  problems: Problems,
): Promise<ExpiryTogetherResult> {
  const { plan } = opts;
  const M = plan.length;
  let lastLog = 0;
  // Everything expires at one instant T; the safety-net jobs move with it, as an extension moves them.
  const u0 = performance.now();
  const [moved] = await db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string; run_at: string; t: string }>(sql`
      update grants g set expires_at = now() + make_interval(secs => ${opts.leadSeconds}), updated_at = now()
      from requests r
      where r.id = g.request_id and r.justification = ${opts.label} and g.state = 'active'
      returning g.id, (g.expires_at + make_interval(secs => ${EXPIRY_JOB_GRACE_MS / 1000}))::text as run_at, g.expires_at::text as t`);
    // The safety-net jobs as an extension moves them (expiry + grace, same key), in one add_jobs call.
    const jobCount = await addJobs(
      tx,
      [...rows].map((m) => ({
        task: "grants__expire",
        payload: { grantId: m.id },
        runAt: m.run_at,
        jobKey: jobKeys.expire(m.id),
        maxAttempts: jobs.grants__expire.maxAttempts,
      })),
    );
    await notifyScheduleChanged(tx);
    const t = [...rows].map((m) => m.t).sort()[0] ?? new Date().toISOString();
    return [{ n: rows.length, jobs: jobCount, t }];
  });
  const updateSeconds = (performance.now() - u0) / 1000;
  const T = new Date(moved!.t);
  if (moved!.n !== M || moved!.jobs !== M) problems.push(`expiry: moved ${moved!.n} grants / ${moved!.jobs} jobs, expected ${M}`);
  const headroom = T.getTime() - Date.now();
  log(
    `${moved!.n} grants (and their jobs) now expire at T = ${T.toISOString()}: statement committed after ${updateSeconds.toFixed(1)} s, T in ${(headroom / 1000).toFixed(1)} s; waiting …`,
  );
  if (headroom < 500) {
    problems.push(
      `expiry: the statement moving the expiries committed only ${ms(headroom)} before T (lead ${opts.leadSeconds} s): lags would include its run time; raise BENCH_EXPIRY_LEAD_SECONDS`,
    );
  }

  // DC-side cross-check of removed_at: two sentinel memberships per group, probed on the DC every
  // 200 ms from T − 0.2 s (a base search on the user's memberOf, ~0.5 ms; reading the groups
  // themselves would cost ~10 ms each at 1,000 members and slow the DC down under measurement).
  // A probe sent after a grant's removed_at must not find the membership: removed_at is written
  // only after the DC acknowledged the modify. Probes queue behind modifies on a busy DC, so the
  // first "gone" answer is only an upper bound of when the removal happened.
  const sentinels = opts.groups.flatMap((g) => {
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
  // What is left, cheaply, every 100 ms (the phase's groups hold no other live grants): the bench
  // shares the machine with what it measures. The full picture once a second.
  const groupGuids = `{${opts.groups.map((g) => g.guid).join(",")}}`;
  for (;;) {
    worker.assertAlive();
    const [left] = await db.execute<{ n: number }>(sql`
      select count(*)::int as n from grants where state in ('active', 'expiring') and group_guid = any(${groupGuids}::text[])`);
    const done = left!.n === 0;
    const overdue = performance.now() > expiryDeadline;
    if (done || overdue || performance.now() - lastLog > 1000) {
      lastLog = performance.now();
      const [c] = await db.execute<{ removed: number; expiring: number; active: number; errors: number }>(sql`
        select count(*) filter (where g.removed_at is not null)::int as removed,
               count(*) filter (where g.state = 'expiring')::int as expiring,
               count(*) filter (where g.state = 'active')::int as active,
               count(*) filter (where g.last_error is not null)::int as errors
        from grants g join requests r on r.id = g.request_id where r.justification = ${opts.label}`);
      if (c!.removed === M) break;
      if (overdue) {
        timedOut = true;
        problems.push(
          `expiry: only ${c!.removed}/${M} removed ${ms(performance.now() - waitStart)} after the update (${c!.active} active, ${c!.expiring} expiring, ${c!.errors} with errors)`,
        );
        break;
      }
      const toT = T.getTime() - Date.now();
      log(
        `  ${toT > 0 ? `T−${(toT / 1000).toFixed(1)} s` : `T+${(-toT / 1000).toFixed(1)} s`}: ${c!.removed}/${M} removed, ${c!.expiring} expiring, ${c!.active} active${c!.errors ? `, ${c!.errors} with errors` : ""}`,
      );
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
  for (const group of opts.groups) {
    const left = await groupMembers(poll, group.dn);
    membersLeft += left.length;
    if (left.length) problems.push(`"${group.name}" still has ${left.length} member(s) after every grant expired (e.g. ${left[0]})`);
  }
  log(`verified on the DC: ${membersLeft === 0 ? "all bench groups are empty" : `${membersLeft} member(s) left!`}`);

  // What the worker went through: per-grant jobs that failed (retries) while the sweep did the work.
  const failures = await jobFailures(db);
  const [retried] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from grants g join requests r on r.id = g.request_id
    where r.justification = ${opts.label} and (g.attempts > 1 or g.last_error is not null)`);

  return {
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
      failedJobs: failures.failed,
      jobsWithErrors: failures.errs,
      grantsWithRetries: retried!.n,
      sampleJobErrors: failures.common.map((s) => `${s.n}× ${s.e}`),
      jobsWithErrorsByTask: failures.byTask.map((t) => ({ task: t.task, n: t.n, failed: t.failed, pending: t.pending })),
    },
    timedOut,
  };
}
