/**
 * Activation in bulk (issue 15): `grants` requests go in with the worker stopped, their activation
 * jobs are all moved to one instant T (the worker running and warm by then), and the bench watches
 * the DC until every planned membership is there: T → all visible. Next to it, in the same run, the
 * raw ceiling: the same members added with plain ldapts, one modify per group and
 * LDAP_MODIFY_BATCH_SIZE values (then removed again).
 */
import { sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { db } from "@/db";
import { env } from "@/server/env";
import { submitRequest } from "@/server/requests/service";
import { groupMembers, modifyMembers } from "./lib/ldap";
import { log, ms, pool, sleep } from "./lib/stats";
import type { WorkerControl } from "./lib/worker";
import { endAndWait, type Problems } from "./phases";
import type { Fixture } from "./setup";

export interface ActivationBurstResult {
  grants: number;
  groups: number;
  batchSize: number;
  /** T (every activation job due) → every membership visible on the DC (the bench's poll). */
  visibleAfterTms: number | null;
  /** T → the last grant's activated_at (its record committed). */
  recordedAfterTms: number | null;
  perSecond: number | null;
  /** The same adds with raw ldapts, one modify per group and batch. */
  raw: { ms: number; perSecond: number; modifies: number };
}

const actorOf = (u: Fixture["users"][number]) => ({ type: "user" as const, id: u.session.id, name: u.sam, ip: "127.0.0.1", userAgent: "bench" });

export async function activationBurst(
  fx: Fixture,
  poll: Client,
  svc: Client,
  worker: WorkerControl,
  opts: { grants: number; label: string; leadSeconds: number },
  problems: Problems,
): Promise<ActivationBurstResult> {
  const n = opts.grants;
  const K = fx.groups.length;
  if (fx.users.length < n) throw new Error(`need ${n} bench users, have ${fx.users.length}`);
  const plan = Array.from({ length: n }, (_, j) => ({ user: fx.users[j]!, group: fx.groups[j % K]! }));

  await worker.stop();
  log(`submitting ${n} requests (worker stopped) …`);
  const live = await pool(plan, 4, async ({ user, group }) => {
    const { grantId } = await submitRequest(user.session, actorOf(user), { privilegeId: group.privilegeId, durationMinutes: 60, justification: opts.label });
    if (grantId === null) throw new Error("the bench access group must not require approval");
    return { grantId, user, group };
  });
  // Every activation job due at one instant T; the worker starts (and warms up) before it.
  const [t] = await db.execute<{ t: string }>(sql`
    with j as (
      select j.id from graphile_worker.jobs j join grants g on j.key = 'grant:activate:' || g.id
      join requests r on r.id = g.request_id where r.justification = ${opts.label})
    select (select count(*) from graphile_worker.reschedule_jobs(array(select id from j), run_at => now() + make_interval(secs => ${opts.leadSeconds})))::text || '|' ||
           (extract(epoch from now() + make_interval(secs => ${opts.leadSeconds})) * 1000)::bigint::text as t`);
  const [moved, tMs] = t!.t.split("|").map(Number) as [number, number];
  if (moved !== n) problems.push(`activation burst: ${moved} of ${n} activation jobs moved to T`);
  worker.start();
  const planned = new Map(fx.groups.map((g) => [g.dn, new Set(plan.filter((p) => p.group.dn === g.dn).map((p) => p.user.dn.toLowerCase()))]));
  let visibleAt: number | null = null;
  const deadline = tMs + 60_000 + n * 20;
  while (Date.now() < deadline) {
    worker.assertAlive();
    if (Date.now() >= tMs) {
      let missing = 0;
      for (const [dn, members] of planned) {
        const present = new Set((await groupMembers(poll, dn)).map((m) => m.toLowerCase()));
        for (const m of members) if (!present.has(m)) missing++;
      }
      if (missing === 0) {
        visibleAt = Date.now();
        break;
      }
    }
    await sleep(10);
  }
  if (visibleAt === null) problems.push(`activation burst: not every membership visible ${ms(deadline - tMs)} after T`);
  // The records commit after the adds (the grants' clocks start there): wait for all of them.
  const recordedCount = async () => {
    const [c] = await db.execute<{ n: number }>(sql`
      select count(g.activated_at)::int as n from grants g join requests r on r.id = g.request_id where r.justification = ${opts.label}`);
    return c?.n ?? 0;
  };
  while ((await recordedCount()) < n && Date.now() < deadline) await sleep(20);
  const [rec] = await db.execute<{ last: number | null }>(sql`
    select (extract(epoch from max(g.activated_at)) * 1000)::float8 as last
    from grants g join requests r on r.id = g.request_id where r.justification = ${opts.label}`);
  const visibleAfterTms = visibleAt === null ? null : visibleAt - tMs;
  log(`  T → all ${n} visible on the DC: ${ms(visibleAfterTms)}; T → last activated_at ${ms(rec?.last ? rec.last - tMs : null)}`);
  await endAndWait(fx, poll, worker, live, opts.label, problems);

  // The raw ceiling, same run, same groups (now empty again), same batch size — the worker stopped,
  // or its drift watcher would take the raw members out (as it should) between the adds and the removals.
  await worker.stop();
  const size = env.LDAP_MODIFY_BATCH_SIZE;
  let modifies = 0;
  const r0 = performance.now();
  for (const g of fx.groups) {
    const values = plan.filter((p) => p.group.dn === g.dn).map((p) => `<GUID=${p.user.guid}>`);
    for (let i = 0; i < values.length; i += size, modifies++) await modifyMembers(svc, "add", g.dn, values.slice(i, i + size));
  }
  const rawMs = performance.now() - r0;
  for (const g of fx.groups) {
    const values = plan.filter((p) => p.group.dn === g.dn).map((p) => `<GUID=${p.user.guid}>`);
    for (let i = 0; i < values.length; i += size) await modifyMembers(svc, "delete", g.dn, values.slice(i, i + size));
  }
  worker.start();
  log(`  raw ldapts: ${n} adds in ${modifies} modifies: ${ms(rawMs)}`);
  return {
    grants: n,
    groups: K,
    batchSize: size,
    visibleAfterTms,
    recordedAfterTms: rec?.last ? rec.last - tMs : null,
    perSecond: visibleAfterTms ? n / (visibleAfterTms / 1000) : null,
    raw: { ms: rawMs, perSecond: n / (rawMs / 1000), modifies },
  };
}
