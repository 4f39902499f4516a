import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { pruneOldRows } from "@/server/housekeeping/prune";
import { enqueue } from "@/server/jobs/enqueue";
import { adminClient, asTableOwner, ensureAdGroup, ensureAdUser, localUser, openAccessGroup, publish, requestFor, resetDatabase } from "./fixtures";

/*
 * Issue 15 item 10: old rows that only grow are pruned by their retention (defaults: failed jobs
 * 14 days, deliveries 90, sign-in attempts 7), recent ones and anything still to do stay, and the
 * audit trail is never touched.
 */

const DAY = 86_400_000;
let requester: SessionUser;
let requestId: string;

beforeAll(async () => {
  await resetDatabase();
  const c = await adminClient();
  try {
    await ensureAdGroup(c, "IT Housekeeping");
    await ensureAdUser(c, "it-hk-1");
  } finally {
    await c.unbind();
  }
  const boss = await localUser("carol", true);
  const privilegeId = (await publish(boss, "IT Housekeeping", 60)).id;
  requester = await localUser("it-hk-1");
  await openAccessGroup(boss, [requester]);
  requestId = (await requestFor(requester, privilegeId)).requestId;
});
afterAll(async () => {
  await resetDatabase();
});

const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** A delivery of a new outbox event for the test's request, in `state`, created `days` ago. */
async function delivery(state: "queued" | "sending" | "sent" | "failed", days: number, recipient: string) {
  const [event] = await db.execute<{ id: string }>(sql`insert into notification_events (event, request_id, created_at, dispatched_at)
    values ('requested', ${requestId}, ${ago(days)}, ${ago(days)}) returning id`);
  await db.execute(sql`insert into notification_deliveries (event_id, channel, recipient, message, state, created_at, sent_at)
    values (${event!.id}, 'email', ${recipient}, '{}'::jsonb, ${state}, ${ago(days)}, ${state === "sent" ? ago(days) : null})`);
}

/** A graphile-worker job (`name` in its key), its attempts used up (or not), last touched `days` ago. */
async function job(name: string, days: number, failedForGood: boolean) {
  await enqueue(db, "grants__reconcile", {}, { jobKey: `hk-test:${name}`, maxAttempts: 1 });
  await db.execute(sql`update graphile_worker._private_jobs
    set attempts = ${failedForGood ? 1 : 0}, last_error = 'test', run_at = now() + interval '1 day'
    where key = ${`hk-test:${name}`}`);
  // updated_at has a trigger keeping it at now(): set it with triggers off, as the table owner would.
  await asTableOwner(sql`update graphile_worker._private_jobs set updated_at = ${ago(days)} where key = ${`hk-test:${name}`}`);
}

describe("housekeeping", () => {
  it("prunes old failed jobs, finished deliveries and sign-in attempts by their retention; recent rows, pending work and the audit trail stay", async () => {
    await job("old-failed", 20, true);
    await job("new-failed", 2, true);
    await job("old-waiting", 20, false);
    await delivery("sent", 100, "old-sent@interim.test");
    await delivery("failed", 100, "old-failed@interim.test");
    await delivery("queued", 100, "old-queued@interim.test");
    await delivery("sent", 10, "new-sent@interim.test");
    for (const [name, days] of [
      ["old-attempt", 8],
      ["new-attempt", 1],
    ] as const) {
      await db.execute(sql`insert into signin_attempts (account_key, username, ip, success, at) values (${name}, ${name}, '192.0.2.1', false, ${ago(days)})`);
    }
    const auditBefore = await db.$count(auditEvents);

    const result = await pruneOldRows();

    expect(result).toEqual({ failedJobs: 1, deliveries: 2, signinAttempts: 1 });
    const keys = await db.execute<{ key: string }>(sql`select key from graphile_worker._private_jobs where key like 'hk-test:%' order by key`);
    expect(keys.map((k) => k.key)).toEqual(["hk-test:new-failed", "hk-test:old-waiting"]);
    const left = await db.execute<{ recipient: string }>(sql`select recipient from notification_deliveries order by recipient`);
    expect(left.map((d) => d.recipient)).toEqual(["new-sent@interim.test", "old-queued@interim.test"]);
    const attempts = await db.execute<{ account_key: string }>(sql`select account_key from signin_attempts where account_key like '%-attempt'`);
    expect(attempts.map((a) => a.account_key)).toEqual(["new-attempt"]);
    expect(await db.$count(auditEvents)).toBe(auditBefore);

    // Run again: nothing more to prune.
    expect(await pruneOldRows()).toEqual({ failedJobs: 0, deliveries: 0, signinAttempts: 0 });
  });
});
