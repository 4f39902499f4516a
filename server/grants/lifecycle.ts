import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { grants, privileges } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { addMembers, listGroupMembers, removeMembers } from "@/server/directory/service";
import { env } from "@/server/env";
import { enqueue, jobKeys, notifyScheduleChanged } from "@/server/jobs/enqueue";

/** After this many failed activation attempts a grant is marked failed (the request too). */
export const MAX_ACTIVATION_ATTEMPTS = 8;

type GrantRow = typeof grants.$inferSelect;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Puts the grant's account into its group. Safe to run twice or after a crash: the claim only
 * takes a pending grant (or one whose provisioning lease lapsed), and "already a member" is success.
 * Returns what happened, for the task's log.
 */
export async function activateGrant(grantId: string): Promise<"activated" | "nothing-to-do" | "failed"> {
  const lease = env.GRANT_LEASE_SECONDS;
  const claimed = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(grants)
      .set({ state: "provisioning", attempts: sql`${grants.attempts} + 1`, claimedAt: sql`now()`, updatedAt: sql`now()` })
      .where(
        and(
          eq(grants.id, grantId),
          sql`(${grants.state} = 'pending' or (${grants.state} = 'provisioning' and ${grants.claimedAt} < now() - make_interval(secs => ${lease})))`,
        ),
      )
      .returning();
    if (!row) return undefined;
    await recordAudit(tx, SYSTEM_ACTOR, [
      { action: "grant.provisioning", targetType: "grant", targetId: row.id, data: { attempt: row.attempts, groupDn: row.groupDn, memberDn: row.memberDn } },
    ]);
    return row;
  });
  if (!claimed) return "nothing-to-do";

  let alreadyMember = false;
  try {
    const result = await addMembers(claimed.groupDn, [claimed.memberDn]);
    alreadyMember = result.alreadyDone.length > 0;
  } catch (err) {
    const final = claimed.attempts >= MAX_ACTIVATION_ATTEMPTS;
    await db.transaction(async (tx) => {
      await tx
        .update(grants)
        .set({ state: final ? "failed" : "pending", lastError: errorText(err), claimedAt: null, updatedAt: sql`now()` })
        .where(and(eq(grants.id, grantId), eq(grants.state, "provisioning")));
      await recordAudit(tx, SYSTEM_ACTOR, [
        { action: "grant.activation_failed", targetType: "grant", targetId: grantId, data: { attempt: claimed.attempts, error: errorText(err), final } },
      ]);
    });
    if (final) return "failed";
    throw err;
  }

  await db.transaction(async (tx) => {
    // The clock starts now, when access is real. An end requested while we were provisioning
    // makes the grant due at once.
    const [row] = await tx
      .update(grants)
      .set({
        state: "active",
        activatedAt: sql`now()`,
        expiresAt: sql`case when ${grants.endReason} is null then now() + make_interval(secs => ${grants.durationSeconds}) else now() end`,
        claimedAt: null,
        lastError: null,
        updatedAt: sql`now()`,
      })
      .where(and(eq(grants.id, grantId), eq(grants.state, "provisioning")))
      .returning();
    if (!row?.expiresAt) return;
    await enqueue(tx, "grants__expire", { grantId }, { runAt: row.expiresAt, jobKey: jobKeys.expire(grantId) });
    await notifyScheduleChanged(tx);
    await recordAudit(tx, SYSTEM_ACTOR, [
      {
        action: "grant.activated",
        targetType: "grant",
        targetId: grantId,
        data: { groupDn: row.groupDn, memberDn: row.memberDn, expiresAt: row.expiresAt.toISOString(), alreadyMember },
      },
    ]);
  });
  return "activated";
}

export interface SweepResult {
  claimed: number;
  removed: number;
  failed: number;
  modifies: number;
}

/**
 * Removes every due membership in bulk: claims due grants with SKIP LOCKED (so several workers
 * share the work), sends one modify per group per batch of members, and records the outcome.
 * A claim is a lease: if this process dies mid-way, another sweep retakes it once it lapses.
 */
export async function sweepExpired(limit = env.EXPIRY_BATCH_SIZE): Promise<SweepResult> {
  const lease = env.GRANT_LEASE_SECONDS;
  const due = await db.execute<{ id: string; group_dn: string; member_dn: string; expires_at: Date | string; end_reason: string | null }>(sql`
    with due as (
      select id from grants
      where (state = 'active' and expires_at <= now())
         or (state = 'expiring' and claimed_at < now() - make_interval(secs => ${lease}))
      order by expires_at
      limit ${limit}
      for update skip locked
    )
    update grants g set state = 'expiring', claimed_at = now(), updated_at = now()
    from due where g.id = due.id
    returning g.id, g.group_dn, g.member_dn, g.expires_at, g.end_reason`);
  const rows = [...due];
  const result: SweepResult = { claimed: rows.length, removed: 0, failed: 0, modifies: 0 };
  if (rows.length === 0) return result;

  const byGroup = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byGroup.get(r.group_dn) ?? [];
    list.push(r);
    byGroup.set(r.group_dn, list);
  }

  await Promise.all(
    [...byGroup].map(async ([groupDn, members]) => {
      try {
        const outcome = await removeMembers(groupDn, members.map((m) => m.member_dn));
        result.modifies += outcome.modifies;
        const absent = new Set(outcome.alreadyDone);
        await finishRemoval(members, absent);
        result.removed += members.length;
      } catch (err) {
        result.failed += members.length;
        await db.transaction(async (tx) => {
          // Keep the lease: the sweep retakes these once it lapses (the directory may be down).
          await tx
            .update(grants)
            .set({ lastError: errorText(err), attempts: sql`${grants.attempts} + 1` })
            .where(inArray(grants.id, members.map((m) => m.id)));
          await recordAudit(
            tx,
            SYSTEM_ACTOR,
            members.map((m) => ({ action: "grant.removal_failed" as const, targetType: "grant" as const, targetId: m.id, data: { groupDn, error: errorText(err) } })),
          );
        });
      }
    }),
  );
  return result;
}

async function finishRemoval(
  members: { id: string; group_dn: string; member_dn: string; expires_at: Date | string; end_reason: string | null }[],
  alreadyAbsent: Set<string>,
) {
  const ids = members.map((m) => m.id);
  await db.transaction(async (tx) => {
    const done = await tx
      .update(grants)
      .set({
        state: sql`case when ${grants.endReason} in ('revoked', 'ended_early') then 'revoked'::grant_state else 'expired'::grant_state end`,
        endReason: sql`coalesce(${grants.endReason}, 'expired')`,
        removedAt: sql`now()`,
        claimedAt: null,
        lastError: null,
        updatedAt: sql`now()`,
      })
      .where(and(inArray(grants.id, ids), eq(grants.state, "expiring")))
      .returning({ id: grants.id, removedAt: grants.removedAt });
    // The per-grant expiry jobs are only a safety net now; drop the ones that have not run.
    // (Keys hold no commas; one text parameter keeps the statement's size independent of the batch.)
    await tx.execute(sql`select graphile_worker.remove_job(k) from unnest(string_to_array(${ids.map(jobKeys.expire).join(",")}, ',')) as k`);
    const removedAt = new Map(done.map((d) => [d.id, d.removedAt]));
    const events: AuditEvent[] = [];
    for (const m of members) {
      const at = removedAt.get(m.id);
      if (!at) continue;
      const expiresAt = new Date(m.expires_at);
      events.push({
        action: "grant.removed",
        targetType: "grant",
        targetId: m.id,
        data: {
          groupDn: m.group_dn,
          memberDn: m.member_dn,
          reason: (m.end_reason ?? "expired") as "expired" | "revoked" | "ended_early",
          expiresAt: expiresAt.toISOString(),
          lagMs: Math.max(0, at.getTime() - expiresAt.getTime()),
          alreadyAbsent: alreadyAbsent.has(m.member_dn),
        },
      });
    }
    await recordAudit(tx, SYSTEM_ACTOR, events);
  });
}

/** The next moment a sweep has work: the earliest expiry, or a lapsed removal lease. */
export async function nextDueAt(): Promise<Date | null> {
  const lease = env.GRANT_LEASE_SECONDS;
  const [row] = await db.execute<{ next: Date | string | null }>(sql`
    select least(
      (select min(expires_at) from grants where state = 'active'),
      (select min(claimed_at) + make_interval(secs => ${lease}) from grants where state = 'expiring')
    ) as next`);
  return row?.next ? new Date(row.next) : null;
}

/**
 * Re-queues activations nobody is working on: the grant waits (pending, or provisioning with a
 * lapsed lease) and no runnable job exists for it — e.g. its job is still locked by a worker that
 * was killed (graphile-worker frees such locks only after hours). Cheap; the worker runs it often.
 */
export async function requeueStuckActivations(): Promise<number> {
  const lease = env.GRANT_LEASE_SECONDS;
  const stuck = await db.execute<{ id: string }>(sql`
    select g.id from grants g
    where ((g.state = 'pending' and g.updated_at < now() - make_interval(secs => ${lease}))
        or (g.state = 'provisioning' and g.claimed_at < now() - make_interval(secs => ${lease})))
      and not exists (
        select 1 from graphile_worker.jobs j
        where j.key = 'grant:activate:' || g.id::text and j.locked_at is null
      )
    limit 1000`);
  if (stuck.length === 0) return 0;
  await db.transaction(async (tx) => {
    // Replacing a key whose job is locked creates a fresh job, which is what we want here.
    for (const g of stuck) await enqueue(tx, "grants__activate", { grantId: g.id }, { jobKey: jobKeys.activate(g.id) });
  });
  return stuck.length;
}

export interface ReconcileResult {
  requeued: number;
  orphansRemoved: number;
  reapplied: number;
  groupsChecked: number;
}

/**
 * Compares the directory with the grants, so a lost job or a crash can never leave access behind:
 * re-queues stuck activations, removes memberships that outlived their grant, and re-adds
 * memberships that an active grant says should exist.
 */
export async function reconcile(): Promise<ReconcileResult> {
  const lease = env.GRANT_LEASE_SECONDS;
  const result: ReconcileResult = { requeued: 0, orphansRemoved: 0, reapplied: 0, groupsChecked: 0 };

  result.requeued = await requeueStuckActivations();

  const managed = await db.selectDistinct({ groupDn: privileges.groupDn }).from(privileges);
  for (const { groupDn } of managed) {
    result.groupsChecked++;
    const members = new Set((await listGroupMembers(groupDn)).map((m) => m.toLowerCase()));
    // Read grants after the directory: a grant that starts provisioning later cannot be mistaken for an orphan's.
    const rows = await db
      .select({ id: grants.id, memberDn: grants.memberDn, state: grants.state, removedAt: grants.removedAt, expiresAt: grants.expiresAt })
      .from(grants)
      .where(eq(grants.groupDn, groupDn));
    const live = new Set<string>();
    const activeMissing: GrantRow["id"][] = [];
    const lastEnded = new Map<string, string>();
    for (const r of rows) {
      const key = r.memberDn.toLowerCase();
      if (r.state === "pending" || r.state === "provisioning" || r.state === "expiring" || r.state === "active") live.add(key);
      // Near its expiry a missing member is left to the sweep rather than re-added for seconds.
      const safelyActive = r.state === "active" && r.expiresAt !== null && r.expiresAt.getTime() > Date.now() + lease * 1000;
      if (safelyActive && !members.has(key)) activeMissing.push(r.id);
      if ((r.state === "expired" || r.state === "revoked") && r.removedAt) lastEnded.set(key, r.id);
    }
    const orphans = [...lastEnded].filter(([dn]) => members.has(dn) && !live.has(dn));
    if (orphans.length) {
      const originalDn = new Map(rows.map((r) => [r.memberDn.toLowerCase(), r.memberDn]));
      await removeMembers(groupDn, orphans.map(([dn]) => originalDn.get(dn) ?? dn));
      await db.transaction((tx) =>
        recordAudit(
          tx,
          SYSTEM_ACTOR,
          orphans.map(([dn, grantId]) => ({
            action: "directory.orphan_removed" as const,
            targetType: "group" as const,
            targetId: groupDn,
            data: { groupDn, memberDn: originalDn.get(dn) ?? dn, lastGrantId: grantId },
          })),
        ),
      );
      result.orphansRemoved += orphans.length;
    }
    if (activeMissing.length) {
      const missing = rows.filter((r) => activeMissing.includes(r.id));
      await addMembers(groupDn, missing.map((r) => r.memberDn));
      await db.transaction((tx) =>
        recordAudit(
          tx,
          SYSTEM_ACTOR,
          missing.map((r) => ({ action: "grant.reapplied" as const, targetType: "grant" as const, targetId: r.id, data: { groupDn, memberDn: r.memberDn } })),
        ),
      );
      result.reapplied += missing.length;
    }
  }
  return result;
}
