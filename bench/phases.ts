/**
 * The measurements of phases 1–3 and 5 (phase 4 is bench/bulk.ts). Each returns plain data for the table and the JSON file, and pushes
 * anything that went wrong (a membership not removed, a timeout, a failed grant) to `problems`.
 */
import { sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { db } from "@/db";
import type { AuditActor } from "@/server/audit/events";
import { endGrant } from "@/server/grants/service";
import { jobKeyFor, jobLastError } from "@/server/jobs/queue";
import { jobKeys } from "@/server/jobs/registry";
import { submitRequest } from "@/server/requests/service";
import { groupMembers, hasDirectMembership, modifyMembers } from "./lib/ldap";
import { expireTogether, timedReconcile, verifyPlanned, type ExpiryTogetherResult, type ReconcileTiming } from "./expiry";
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
  /** One raw add (1 value, DN, the bench's own connection) before each grant, the worker idle: the same stretch of a shared DC. */
  rawAddMs: Summary;
  submitMs: Summary;
  /** Worker-side view: grants.activated_at − grants.created_at (DB clock). */
  dbActivationMs: Summary;
  /**
   * Where the latency goes, from wall-clock times (this process) and the audit trail's (the
   * worker's; same machine clock, ms precision): request committed → claim recorded (NOTIFY, job
   * fetch, claim update and its audit event) …
   */
  pickupMs: Summary;
  /** … → member visible on the DC (claim commit, the LDAP add, the poll) … */
  addMs: Summary;
  /** … and after that, not part of the latency: visible → grant.activated recorded (the second transaction). */
  activationTxMs: Summary;
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

async function waitForActive(grantId: string, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const [row] = await db.execute<{ state: string }>(sql`select state from grants where id = ${grantId}`);
    if (row?.state === "active") return;
    await sleep(2);
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
  opts: { samples: number; pollMs: number; label: string; raw: { client: Client; groupDn: string; memberDn: string } },
  problems: Problems,
): Promise<GrantLatencyResult> {
  const latency: number[] = [];
  const rawAdd: number[] = [];
  const submit: number[] = [];
  const live: LiveGrant[] = [];
  const wall = new Map<string, { committed: number; visible: number }>();
  const K = fx.groups.length;
  for (let i = 0; i < opts.samples; i++) {
    worker.assertAlive();
    const user = fx.users[i % fx.users.length]!;
    const group = fx.groups[i % K]!;
    const r0 = performance.now();
    await modifyMembers(opts.raw.client, "add", opts.raw.groupDn, [opts.raw.memberDn]);
    rawAdd.push(performance.now() - r0);
    await modifyMembers(opts.raw.client, "delete", opts.raw.groupDn, [opts.raw.memberDn]);
    const s0 = performance.now();
    const { grantId: maybeGrant } = await submitRequest(user.session, actorOf(user), {
      privilegeId: group.privilegeId,
      durationMinutes: 60,
      justification: opts.label,
    });
    if (maybeGrant === null) throw new Error("the bench access group must not require approval");
    const grantId = maybeGrant;
    const t0 = performance.now(); // the transaction has committed
    const committed = Date.now();
    live.push({ grantId, user, group });
    const t1 = await waitForMembership(poll, user.dn, group.dn, opts.pollMs, 15_000);
    if (t1 === null) {
      problems.push(`grant latency: ${user.sam} did not appear in "${group.name}" within 15 s (grant ${grantId})`);
      continue;
    }
    wall.set(grantId, { committed, visible: committed + (t1 - t0) });
    // Let the worker finish (the activation transaction follows the add), so that the next raw add
    // does not share the machine with it while the grants' adds never do.
    await waitForActive(grantId, 5_000);
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
  const audited = await db.execute<{ id: string; claimed: number; activated: number }>(sql`
    select g.id, extract(epoch from p.at) * 1000 as claimed, extract(epoch from a.at) * 1000 as activated
    from grants g
    join requests r on r.id = g.request_id
    join audit_events p on p.action = 'grant.provisioning' and p.target_id = g.id::text
    join audit_events a on a.action = 'grant.activated' and a.target_id = g.id::text
    where r.justification = ${opts.label}`);
  const steps = [...audited].flatMap((a) => {
    const w = wall.get(a.id);
    return w ? [{ pickup: Number(a.claimed) - w.committed, add: w.visible - Number(a.claimed), activation: Number(a.activated) - w.visible }] : [];
  });
  const endAll = await endAndWait(fx, poll, worker, live, opts.label, problems);
  return {
    samples: opts.samples,
    pollIntervalMs: opts.pollMs,
    latencyMs: summarize(latency),
    rawAddMs: summarize(rawAdd),
    submitMs: summarize(submit),
    dbActivationMs: summarize([...rows].map((r) => Number(r.ms))),
    pickupMs: summarize(steps.map((x) => x.pickup)),
    addMs: summarize(steps.map((x) => x.add)),
    activationTxMs: summarize(steps.map((x) => x.activation)),
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

export interface ExpiryResult extends ExpiryTogetherResult {
  grants: number;
  groups: number;
  submit: { seconds: number; perSecond: number };
  /** Backlog of M activation jobs drained by a freshly started worker: first claim → last activated_at. */
  activation: { seconds: number; perSecond: number; workerStartToFirstClaimSeconds: number; workerStartToAllActiveSeconds: number; verifiedMembers: number };
  /** One full reconcile (directory vs grants, drift included) while the M grants are active. */
  reconcile: ReconcileTiming;
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
  log(
    `all ${M} active: ${activationSeconds.toFixed(1)} s from the first claim to the last activation (${rate(M / activationSeconds, " grants/s")}); worker start → first claim ${Number(act!.first_claim).toFixed(1)} s`,
  );

  // The memberships are real: every group holds exactly its planned members.
  const verifiedMembers = await verifyPlanned(poll, fx.groups, plan, problems);

  const reconcile = await timedReconcile(M, problems);
  const expiry = await expireTogether(poll, worker, { plan, groups: fx.groups, label: opts.label, leadSeconds: opts.leadSeconds }, problems);
  return {
    grants: M,
    groups: K,
    submit: { seconds: submitSeconds, perSecond: M / submitSeconds },
    reconcile,
    activation: {
      seconds: activationSeconds,
      perSecond: M / activationSeconds,
      workerStartToFirstClaimSeconds: Number(act!.first_claim),
      workerStartToAllActiveSeconds: Number(act!.total),
      verifiedMembers,
    },
    ...expiry,
  };
}

/** The most frequent activation errors (grants.last_error, else the jobs' last_error), for a failure message. */
async function activationErrors(label: string): Promise<string> {
  const rows = await db.execute<{ e: string; n: number }>(sql`
    select left(regexp_replace(coalesce(g.last_error, ${jobLastError(jobKeyFor(jobKeys.activate, sql`g.id`))}, 'no error recorded'), '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'), 300) as e, count(*)::int as n
    from grants g join requests r on r.id = g.request_id
    where r.justification = ${label} and g.state <> 'active'
    group by 1 order by 2 desc limit 3`);
  return [...rows].map((r) => `${r.n}× ${r.e}`).join(" | ") || "no errors recorded";
}

// ---------------------------------------------------------------- phase 5 --

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
