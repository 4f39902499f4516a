import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { enqueueMany } from "@/server/jobs/enqueue";
import { observeActivation } from "@/server/ops/metrics";
import type { Grant } from "./activate";
import type { ReplicationStart } from "./replication";
import { expiryJob, warningJob } from "./schedule";
import { stateSql } from "./state-sql";
import { assertTransition } from "./states";
import { recordTransition } from "./transition";

/*
 * recordActivation (activate.ts) for the direct grants one modify put into one group
 * (activate-batch.ts), in ONE transaction instead of one each: every grant gets the same row
 * update under its own claim, its expiry and warning jobs, its "granted" notification and its
 * `grant.activated` event, and the clock of each starts at this commit, as on the single path. A
 * thousand grants recorded one by one queue on the audit chain's lock for seconds; a group's
 * hundred take one turn.
 */

export async function recordDirectActivations(written: { claimed: Grant; alreadyMember: boolean }[], replication: ReplicationStart): Promise<Set<string>> {
  if (written.length === 0) return new Set();
  assertTransition("provisioning", replication.waits ? "replicating" : "active");
  const ids = written.map((w) => w.claimed.id).join(",");
  const tokens = written.map((w) => w.claimed.claimToken!).join(",");
  // Only a first attempt can tell: after a crash or an error, "already a member" may be our own earlier add (activate.ts).
  const preExisting = written
    .filter((w) => w.alreadyMember && w.claimed.attempts === 1)
    .map((w) => w.claimed.id)
    .join(",");
  const alreadyMember = new Set(written.filter((w) => w.alreadyMember).map((w) => w.claimed.id));
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(grants)
      .set({
        state: replication.waits ? "replicating" : "active",
        replication: replication.waits ? replication.record("add") : null,
        activatedAt: sql`now()`,
        expiresAt: sql`case when ${grants.endReason} is null then least(now() + make_interval(secs => ${grants.durationSeconds}), coalesce(${grants.notAfter}, 'infinity')) else now() end`,
        preExisting: sql`${grants.id} = any(string_to_array(${preExisting}, ',')::uuid[])`,
        mechanism: "direct",
        tempGroupGuid: null,
        tempGroupDn: null,
        claimedAt: null,
        claimToken: null,
        lastError: null,
        updatedAt: sql`now()`,
      })
      .where(
        sql`(${grants.id}, ${grants.claimToken}) in (select * from unnest(string_to_array(${ids}, ',')::uuid[], string_to_array(${tokens}, ',')::uuid[]))
            and ${grants.state} = ${stateSql("provisioning")}`,
      )
      .returning();
    const recorded = rows.filter((row): row is typeof row & { expiresAt: Date } => row.expiresAt !== null);
    if (recorded.length === 0) return new Set();
    const events: AuditEvent[] = [];
    // The expiry and warning jobs of every grant in one add_jobs (schedule.ts: the same jobs, keys and times).
    await enqueueMany(
      tx,
      recorded.flatMap((row) => [expiryJob(row.id, row.expiresAt), warningJob(row)].filter((job) => job !== null)),
    );
    for (const row of recorded) {
      observeActivation(row);
      events.push({
        action: "grant.activated",
        targetType: "grant",
        targetId: row.id,
        data: {
          groupDn: row.groupDn,
          memberDn: row.memberDn,
          expiresAt: row.expiresAt.toISOString(),
          alreadyMember: alreadyMember.has(row.id),
          mechanism: "direct",
          ttlSeconds: null,
          replicating: replication.waits,
        },
      });
    }
    const granted = replication.waits ? [] : recorded.filter((row) => !row.endReason).map((row) => ({ requestId: row.requestId, grantId: row.id }));
    await recordTransition(tx, {
      wakeTimer: true,
      notify: granted.length ? [{ event: "granted", items: granted }] : [],
      audit: { actor: SYSTEM_ACTOR, events },
    });
    return new Set(recorded.map((row) => row.id));
  });
}
