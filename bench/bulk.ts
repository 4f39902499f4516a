/**
 * Bench phase 4: N grants (10,000 by default) over the bulk groups, all due at one instant.
 *
 * Activating 10,000 grants one job at a time takes minutes, and phase 3 measures that path, so
 * here the grants are seeded as activateGrant leaves them — request and grant rows, the expiry
 * warning jobs, a grant.activated audit event each — with the memberships written to the DC 500
 * values per modify. From then on everything is the product's: a timed reconcile pass over the
 * active grants, and the worker's expiry timer and sweeps removing them (expiry.ts measures).
 *
 * The raw ceilings of the same workload (phase 6, worker stopped) are measured on groups of the
 * same shape that Interim never touched: B groups of N/B members, removed by one ldapts client on
 * one connection, one value per modify (a sample) and 500 `<GUID=…>` values per modify.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { db } from "@/db";
import { grants, requests } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { env } from "@/server/env";
import { addJobs } from "@/server/jobs/queue";
import { jobKeys, jobs } from "@/server/jobs/registry";
import { expireTogether, timedReconcile, verifyPlanned, type ExpiryTogetherResult, type PlannedGrant, type ReconcileTiming } from "./expiry";
import { groupMembers, modifyMembers } from "./lib/ldap";
import { log, ms, rate, sleep, summarize, type Summary } from "./lib/stats";
import type { WorkerControl } from "./lib/worker";
import type { Problems } from "./phases";
import type { BenchGroup, Fixture } from "./setup";

const PER_MODIFY = 500;
const INSERT_CHUNK = 1000;

export interface BulkExpiryResult extends ExpiryTogetherResult {
  grants: number;
  groups: number;
  /** Seeding: rows and jobs in one transaction, then the memberships (500 values per modify). */
  seed: { dbSeconds: number; directorySeconds: number; addsPerSecond: number; verifiedMembers: number };
  reconcile: ReconcileTiming;
}

/** grant j: user j in bulk group j mod B. */
export function bulkPlan(fx: Fixture, n: number): PlannedGrant[] {
  if (fx.users.length < n) throw new Error(`need ${n} bench users, have ${fx.users.length}`);
  const B = fx.bulkGroups.length;
  return Array.from({ length: n }, (_, j) => ({ user: fx.users[j]!, group: fx.bulkGroups[j % B]! }));
}

/** The planned members of each group, as `<GUID=…>` values (the form Interim's worker writes). */
function guidValuesByGroup(plan: PlannedGrant[]): Map<BenchGroup, string[]> {
  const byGroup = new Map<BenchGroup, string[]>();
  for (const p of plan) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), `<GUID=${p.user.guid}>`]);
  return byGroup;
}

/**
 * Active grants for the plan, committed with their audit events and warning jobs (as
 * activateGrant commits them), then their memberships on the DC. The worker is stopped meanwhile,
 * so its reconcile never sees rows without memberships.
 */
export async function seedActiveGrants(svc: Client, plan: PlannedGrant[], label: string) {
  const d0 = performance.now();
  await db.transaction(async (tx) => {
    for (let i = 0; i < plan.length; i += INSERT_CHUNK) {
      const chunk = plan.slice(i, i + INSERT_CHUNK).map((p) => ({ ...p, requestId: randomUUID(), grantId: randomUUID() }));
      await tx.insert(requests).values(
        chunk.map((c) => ({
          id: c.requestId,
          requesterId: c.user.session.id,
          privilegeId: c.group.privilegeId,
          targetDn: c.user.dn,
          durationMinutes: 60,
          justification: label,
          status: "approved" as const,
          decidedAt: sql`now()`,
          clientIp: "127.0.0.1",
        })),
      );
      const rows = await tx
        .insert(grants)
        .values(
          chunk.map((c) => ({
            id: c.grantId,
            requestId: c.requestId,
            userId: c.user.session.id,
            privilegeId: c.group.privilegeId,
            memberGuid: c.user.guid,
            memberDn: c.user.dn,
            groupGuid: c.group.guid,
            groupDn: c.group.dn,
            state: "active" as const,
            durationSeconds: 3600,
            attempts: 1,
            activatedAt: sql`now()`,
            expiresAt: sql`now() + interval '1 hour'`,
          })),
        )
        .returning();
      // The warning jobs as scheduleExpiryWarning queues them, in one add_jobs call.
      const specs = rows.map((g) => {
        const end = g.expiresAt!.getTime();
        const runAt = Math.max(g.activatedAt!.getTime() + (end - g.activatedAt!.getTime()) / 2, end - env.EXPIRY_WARNING_MINUTES * 60_000);
        return {
          task: "grants__warn",
          payload: { grantId: g.id },
          runAt: new Date(runAt),
          jobKey: jobKeys.warn(g.id),
          maxAttempts: jobs.grants__warn.maxAttempts,
        };
      });
      await addJobs(tx, specs);
      await recordAudit(
        tx,
        SYSTEM_ACTOR,
        rows.map((g) => ({
          action: "grant.activated" as const,
          targetType: "grant" as const,
          targetId: g.id,
          data: {
            groupDn: g.groupDn,
            memberDn: g.memberDn,
            expiresAt: g.expiresAt!.toISOString(),
            alreadyMember: false,
            mechanism: "direct",
            ttlSeconds: null,
          },
        })),
      );
    }
  });
  const dbSeconds = (performance.now() - d0) / 1000;
  const a0 = performance.now();
  for (const [group, values] of guidValuesByGroup(plan)) {
    for (let i = 0; i < values.length; i += PER_MODIFY) await modifyMembers(svc, "add", group.dn, values.slice(i, i + PER_MODIFY));
  }
  const directorySeconds = (performance.now() - a0) / 1000;
  return { dbSeconds, directorySeconds, addsPerSecond: plan.length / directorySeconds };
}

/** Waits until the worker's expiry timer listens (its LISTEN connection shows in pg_stat_activity). */
async function waitForExpiryTimer(worker: WorkerControl) {
  const deadline = performance.now() + 60_000;
  for (;;) {
    worker.assertAlive();
    const [row] = await db.execute<{ n: number }>(sql`
      select count(*)::int as n from pg_stat_activity where application_name = 'interim-bench-worker' and query ilike 'listen%interim_grant_schedule%'`);
    if (row!.n > 0) return;
    if (performance.now() > deadline) throw new Error("the worker's expiry timer did not start within 60 s");
    await sleep(100);
  }
}

export async function bulkExpiry(
  fx: Fixture,
  svc: Client,
  poll: Client,
  worker: WorkerControl,
  opts: { grants: number; label: string; leadSeconds: number },
  problems: Problems,
): Promise<BulkExpiryResult> {
  const plan = bulkPlan(fx, opts.grants);
  await worker.stop();
  log(`seeding ${plan.length} active grants over ${fx.bulkGroups.length} bulk groups (worker stopped) …`);
  const seed = await seedActiveGrants(svc, plan, opts.label);
  log(
    `  rows, jobs and audit in ${seed.dbSeconds.toFixed(1)} s; memberships in ${seed.directorySeconds.toFixed(1)} s (${rate(seed.addsPerSecond, " adds/s")})`,
  );
  const verifiedMembers = await verifyPlanned(poll, fx.bulkGroups, plan, problems);
  const reconcile = await timedReconcile(plan.length, problems);

  worker.start();
  await waitForExpiryTimer(worker);
  const expiry = await expireTogether(poll, worker, { plan, groups: fx.bulkGroups, label: opts.label, leadSeconds: opts.leadSeconds }, problems);
  return { grants: plan.length, groups: fx.bulkGroups.length, seed: { ...seed, verifiedMembers }, reconcile, ...expiry };
}

export interface ShapeCeilingMode {
  valuesPerModify: number;
  values: number;
  modifies: number;
  seconds: number;
  perSecond: number;
  modifyMs: Summary;
}

export interface ShapeCeilingResult {
  groups: number;
  membersPerGroup: number;
  fill: { seconds: number; perSecond: number };
  /** One value per modify: a sample spread evenly over the groups (a full run would take minutes). */
  single: ShapeCeilingMode;
  batched: ShapeCeilingMode;
}

/**
 * Raw ldapts on the same workload as the bulk expiry: every raw bulk group filled with the members
 * its Interim twin had, then emptied group after group on one connection.
 */
export async function rawShapeCeiling(svc: Client, fx: Fixture, n: number, singleSample: number, problems: Problems): Promise<ShapeCeilingResult> {
  const byGroup = [...guidValuesByGroup(bulkPlan(fx, n)).values()].map((values, k) => ({ dn: fx.bulkRawGroupDns[k]!, values }));
  const timed = async (perModify: number, work: { dn: string; values: string[] }[], op: "add" | "delete"): Promise<ShapeCeilingMode> => {
    const each: number[] = [];
    const t0 = performance.now();
    for (const { dn, values } of work) {
      for (let i = 0; i < values.length; i += perModify) {
        const a = performance.now();
        await modifyMembers(svc, op, dn, values.slice(i, i + perModify));
        each.push(performance.now() - a);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const values = work.reduce((s, w) => s + w.values.length, 0);
    return { valuesPerModify: perModify, values, modifies: each.length, seconds, perSecond: values / seconds, modifyMs: summarize(each) };
  };

  log(`filling ${byGroup.length} raw bulk groups with ${n} members (${PER_MODIFY} per modify) …`);
  const fill = await timed(PER_MODIFY, byGroup, "add");
  const perGroup = Math.max(1, Math.floor(singleSample / byGroup.length));
  const sample = byGroup.map((g) => ({ dn: g.dn, values: g.values.slice(0, perGroup) }));
  log(`removing ${perGroup * byGroup.length} of them one value per modify …`);
  const single = await timed(1, sample, "delete");
  log(`  ${rate(single.perSecond, " changes/s")} (modify p50 ${ms(single.modifyMs.p50)})`);
  await timed(PER_MODIFY, sample, "add");
  log(`removing all ${n}, ${PER_MODIFY} <GUID=…> values per modify, group after group …`);
  const batched = await timed(PER_MODIFY, byGroup, "delete");
  log(`  ${rate(batched.perSecond, " changes/s")} (${batched.modifies} modifies, p50 ${ms(batched.modifyMs.p50)} each)`);
  for (const g of byGroup) {
    const left = (await groupMembers(svc, g.dn)).length;
    if (left) problems.push(`raw bulk group ${g.dn} still has ${left} member(s)`);
  }
  return {
    groups: byGroup.length,
    membersPerGroup: Math.ceil(n / byGroup.length),
    fill: { seconds: fill.seconds, perSecond: fill.perSecond },
    single,
    batched,
  };
}
