import type { Client } from "ldapts";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { GET as readyRoute } from "@/app/api/health/ready/route";
import { GET as liveRoute } from "@/app/api/health/live/route";
import { db } from "@/db";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { resetDomainPolicyCache, signIn, SigninError } from "@/server/auth/signin";
import { checkDirectory } from "@/server/directory/settings";
import { resetEnvForTests } from "@/server/env";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { deliverDue } from "@/server/notifications/deliver";
import { readiness } from "@/server/ops/health";
import { startHeartbeat, type Heartbeat } from "@/server/ops/heartbeat";
import { metrics } from "@/server/ops/metrics";
import { startMetricsServer } from "@/server/ops/metrics-server";
import { BUILD_JOURNAL, missingMigrations } from "@/server/ops/migrations";
import {
  adminClient,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  isDirectMember,
  localUser,
  openAccessGroup,
  ownerDb,
  publish,
  requestFor,
  resetDatabase,
} from "./fixtures";

/* Issue 15 items 2–4: every health check and metric can report trouble, on the real Postgres and DC. */

const log = pino({ level: "silent" });
const CLOSED_LDAP = "ldaps://127.0.0.1:3229"; // this slice's port range; nothing listens there
const TOKEN = "obs-test-token-0123456789abcdef";

let ad: Client;
let groupDn: string;
let memberDn: string;

/** One sample's value in this process's registry (0 when the series does not exist yet). */
async function sample(name: string, labels: Record<string, string> = {}, metricName = name): Promise<number> {
  const metric = metrics().registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const hit = values.find(
    (v) => ((v as { metricName?: string }).metricName ?? name) === metricName && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return hit?.value ?? 0;
}

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v))
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    resetEnvForTests();
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

beforeAll(async () => {
  ad = await adminClient();
  memberDn = await ensureAdUser(ad, "it-obs-user");
  groupDn = await ensureAdGroup(ad, "it-obs-priv");
});
beforeEach(async () => {
  await resetDatabase();
  await db.execute(sql`delete from worker_heartbeats`);
});
afterAll(async () => {
  await db.execute(sql`delete from worker_heartbeats`);
  await ensureAdGroup(ad, "it-obs-priv"); // empties it
  await ad.unbind();
});

describe("health", () => {
  let heartbeat: Heartbeat | undefined;
  // A running heartbeat would write its row again within ten seconds: each case stops its own.
  afterEach(async () => {
    await heartbeat?.stop();
    heartbeat = undefined;
  });

  it("live answers without asking anything; ready is 200 with every check passing", async () => {
    expect((await liveRoute()).status).toBe(200);
    heartbeat = await startHeartbeat(log, { concurrency: 3 });
    const res = await readyRoute();
    expect(await res.json()).toEqual({ ok: true, failing: [] });
    expect(res.status).toBe(200);
  });

  it("ready is 503 when the newest worker heartbeat is older than a minute, and when there is none", async () => {
    heartbeat = await startHeartbeat(log, { concurrency: 3 });
    await db.execute(sql`update worker_heartbeats set last_seen_at = now() - interval '90 seconds'`);
    const stale = await readyRoute();
    expect(stale.status).toBe(503);
    const body = (await stale.json()) as { failing: { check: string; reason: string }[] };
    expect(body.failing).toEqual([{ check: "worker", reason: expect.stringMatching(/no worker heartbeat in the last 60 s \(newest 9\d s old\)/) as string }]);

    await heartbeat.stop();
    expect(await db.execute(sql`select 1 from worker_heartbeats`)).toHaveLength(0);
    expect((await readiness()).failing).toEqual([{ check: "worker", reason: "no worker has written a heartbeat" }]);
  });

  it("ready is 503 when a migration of this build is missing: a journal entry the database lacks, or a deleted row", async () => {
    heartbeat = await startHeartbeat(log, { concurrency: 1 });
    const ahead = await readiness({ journal: [...BUILD_JOURNAL, { tag: "9999_from_a_newer_build", when: Date.now() }] });
    expect(ahead.failing).toEqual([{ check: "migrations", reason: "1 migration(s) of this build not applied: 9999_from_a_newer_build" }]);

    // A database where one applied migration's row went missing (restored from elsewhere, hand-edited): rolled back after.
    const second = BUILD_JOURNAL[1]!;
    const rolledBack = new Error("roll back");
    const seen = await ownerDb()
      .transaction(async (tx) => {
        await tx.execute(sql`delete from drizzle.__drizzle_migrations where created_at = ${second.when}`);
        throw Object.assign(rolledBack, { missing: await missingMigrations(tx) });
      })
      .catch((err: { missing?: string[] }) => err.missing);
    expect(seen).toEqual([second.tag]);
    expect(await missingMigrations(db)).toEqual([]);
  });

  it("ready is 503 when no DC answers the probe (pointed at a closed port), and the failed bind counts for that DC", async () => {
    heartbeat = await startHeartbeat(log, { concurrency: 1 });
    const before = await sample("interim_ldap_errors_total", { dc: "127.0.0.1:3229", op: "bind", kind: "unreachable" });
    const result = await readiness({ ldapUrls: [CLOSED_LDAP] });
    expect(result.failing).toEqual([{ check: "directory", reason: "no domain controller answered (1 tried: unreachable)" }]);
    expect(await sample("interim_ldap_errors_total", { dc: "127.0.0.1:3229", op: "bind", kind: "unreachable" })).toBeGreaterThan(before);
    // The real DC in the same list keeps the node ready (the app fails over to it).
    expect((await readiness({ ldapUrls: [CLOSED_LDAP, process.env.LDAP_URL!.split(",")[0]!] })).ready).toBe(true);
  });
});

describe("metrics endpoints", () => {
  const scrape = (authorization?: string) => metricsRoute(new Request("http://interim.test/api/metrics", { headers: authorization ? { authorization } : {} }));

  it("the web's /api/metrics does not exist without a token, refuses a wrong or missing one, and serves Prometheus text with it", async () => {
    await withEnv({ INTERIM_METRICS_TOKEN: undefined }, async () => expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(404));
    await withEnv({ INTERIM_METRICS_TOKEN: TOKEN }, async () => {
      expect((await scrape()).status).toBe(401);
      expect((await scrape(`Bearer ${TOKEN}x`)).status).toBe(401);
      expect((await scrape(`Basic ${TOKEN}`)).status).toBe(401);
      const ok = await scrape(`Bearer ${TOKEN}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toContain("text/plain");
      const text = await ok.text();
      expect(text).toContain('interim_grants{state="pending"} 0');
      expect(text).toContain("interim_database_up 1");
      expect(text).toContain("interim_process_resident_memory_bytes");
    });
  });

  it("the worker's listener serves /metrics on its own port, wanting the token when one is set", async () => {
    const server = (await startMetricsServer(log, 3221, "127.0.0.1"))!;
    try {
      const open = await fetch("http://127.0.0.1:3221/metrics");
      expect(open.status).toBe(200);
      expect(await open.text()).toContain("interim_job_queue_jobs");
      expect((await fetch("http://127.0.0.1:3221/other")).status).toBe(404);
      await withEnv({ INTERIM_METRICS_TOKEN: TOKEN }, async () => {
        expect((await fetch("http://127.0.0.1:3221/metrics")).status).toBe(401);
        expect((await fetch("http://127.0.0.1:3221/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      });
    } finally {
      await server.close();
    }
    expect(await startMetricsServer(log, undefined)).toBeUndefined();
  });
});

describe("metrics report what happens", () => {
  it("grants by state and the job queue come from the database at scrape time", async () => {
    const carol = await localUser("carol", true);
    const user = await localUser("it-obs-user");
    const privilege = await publish(carol, "it-obs-priv");
    await openAccessGroup(carol, [user]);
    await resetJobs();
    await requestFor(user, privilege.id);
    await db.execute(sql`select graphile_worker.add_job('obs__probe', '{}'::json, run_at => now() - interval '45 seconds')`);
    await db.execute(sql`select graphile_worker.add_job('obs__later', '{}'::json, run_at => now() + interval '1 hour')`);

    metrics().forgetDatabaseSnapshot();
    expect(await sample("interim_grants", { state: "pending" })).toBe(1);
    expect(await sample("interim_grants", { state: "active" })).toBe(0);
    // The grant's activation job is due now too: two due, one scheduled.
    expect(await sample("interim_job_queue_jobs", { state: "due" })).toBe(2);
    expect(await sample("interim_job_queue_jobs", { state: "scheduled" })).toBe(1);
    expect(await sample("interim_job_queue_oldest_due_seconds")).toBeGreaterThanOrEqual(45);
  });

  it("an activation and an expiry on the DC count, with their latency and lag", async () => {
    const carol = await localUser("carol", true);
    const user = await localUser("it-obs-user");
    const privilege = await publish(carol, "it-obs-priv");
    await openAccessGroup(carol, [user]);
    const { grantId } = await requestFor(user, privilege.id);
    const latencies = await sample("interim_grant_latency_seconds", {}, "interim_grant_latency_seconds_count");
    expect(await activateGrant(grantId)).toBe("activated");
    expect(await isDirectMember(groupDn, memberDn)).toBe(true);
    expect(await sample("interim_grant_latency_seconds", {}, "interim_grant_latency_seconds_count")).toBe(latencies + 1);

    const removed = await sample("interim_grant_removals_total", { outcome: "removed", reason: "expired" });
    const lags = await sample("interim_expiry_lag_seconds", {}, "interim_expiry_lag_seconds_count");
    await db.execute(sql`update grants set expires_at = now() - interval '2 seconds' where id = ${grantId}`);
    expect((await sweepExpired()).removed).toBe(1);
    expect((await grantRow(grantId)).state).toBe("expired");
    expect(await sample("interim_grant_removals_total", { outcome: "removed", reason: "expired" })).toBe(removed + 1);
    expect(await sample("interim_expiry_lag_seconds", {}, "interim_expiry_lag_seconds_count")).toBe(lags + 1);
    expect(await sample("interim_expiry_lag_seconds", {}, "interim_expiry_lag_seconds_sum")).toBeGreaterThanOrEqual(2);
  });

  it("a notification delivery that fails for good counts as failed", async () => {
    const carol = await localUser("carol", true);
    const user = await localUser("it-obs-user");
    const privilege = await publish(carol, "it-obs-priv");
    await openAccessGroup(carol, [user]);
    const { requestId } = await requestFor(user, privilege.id);
    await db.execute(sql`delete from notification_deliveries`);
    const [event] = await db.execute<{ id: string }>(sql`insert into notification_events (event, request_id) values ('granted', ${requestId}) returning id`);
    await db.execute(
      sql`insert into notification_deliveries (event_id, channel, recipient, message) values (${event!.id}, 'email', 'x@interim.test', '{}'::jsonb)`,
    );
    const before = await sample("interim_notification_deliveries_total", { outcome: "failed" });
    const result = await deliverDue({ smtpUrl: undefined, from: "Interim <i@interim.test>", webhookTimeoutMs: 1000, webhookAllow: [], maxAttempts: 1 });
    expect(result.failed).toBe(1);
    expect(await sample("interim_notification_deliveries_total", { outcome: "failed" })).toBe(before + 1);
  });

  it("a failed sign-in and a throttled one count", async () => {
    resetDomainPolicyCache();
    await checkDirectory(SYSTEM_ACTOR);
    await ensureAdUser(ad, "it-obs-user"); // clean badPwdCount
    const failures = await sample("interim_signin_failures_total", { reason: "bad-password" });
    const throttles = await sample("interim_signin_throttled_total", { scope: "ip" });
    await withEnv({ SIGNIN_MAX_FAILURES_PER_IP: "1" }, async () => {
      const reasons: string[] = [];
      for (let i = 0; i < 2; i++) {
        const err = (await signIn({ username: "it-obs-user", password: `wrong-${i}` }, { ip: "198.51.100.7", userAgent: "vitest" }).catch(
          (e: unknown) => e,
        )) as SigninError;
        reasons.push(err.reason);
      }
      expect(reasons).toEqual(["invalid", "throttled"]);
    });
    expect(await sample("interim_signin_failures_total", { reason: "bad-password" })).toBe(failures + 1);
    expect(await sample("interim_signin_throttled_total", { scope: "ip" })).toBe(throttles + 1);
    await ensureAdUser(ad, "it-obs-user");
  });
});

async function resetJobs() {
  await db.execute(sql`delete from graphile_worker._private_jobs`);
}
