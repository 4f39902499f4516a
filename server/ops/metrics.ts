import "server-only";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { db } from "@/db";
import { scoped } from "@/server/logger";
import { grantsByState, jobQueue, type QueueFigures } from "./db-metrics";

/*
 * The process's Prometheus metrics (prom-client), all named interim_*. Counters and histograms
 * are per process (the web and each worker have their own); the database-wide gauges (grants by
 * state, the job queue) are read at scrape time by ./db-metrics.ts and are the same from every
 * process — aggregate them with max(), not sum(). Labels hold bounded values only: states,
 * outcomes, a DC's host:port from LDAP_URL, a route pattern — never a name or an id someone typed.
 */

function build() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "interim_" });
  const registers = [registry];
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  return {
    registry,
    grantActivations: new Counter({
      name: "interim_grant_activations_total",
      help: "Grant activation attempts by outcome (activated, failed, cancelled, nothing-to-do, error = retried later).",
      labelNames: ["outcome"],
      registers,
    }),
    grantRemovals: new Counter({
      name: "interim_grant_removals_total",
      help: "Memberships removed by the expiry sweep (outcome removed, by end reason) or not removed this time (outcome failed).",
      labelNames: ["outcome", "reason"],
      registers,
    }),
    grantLatency: new Histogram({
      name: "interim_grant_latency_seconds",
      help: "From a grant's approval (or its scheduled start) to its membership written in the directory.",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    expiryLag: new Histogram({
      name: "interim_expiry_lag_seconds",
      help: "removed_at − expires_at of grants that ran out (revocations are not expiries).",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    ldapDuration: new Histogram({
      name: "interim_ldap_operation_duration_seconds",
      help: "LDAP binds and operations per domain controller (host:port of LDAP_URL).",
      labelNames: ["dc", "op"],
      buckets: seconds,
      registers,
    }),
    ldapErrors: new Counter({
      name: "interim_ldap_errors_total",
      help: "Failed LDAP binds and operations per domain controller, by kind (unreachable, invalid-credentials, …).",
      labelNames: ["dc", "op", "kind"],
      registers,
    }),
    notificationDeliveries: new Counter({
      name: "interim_notification_deliveries_total",
      help: "Notification delivery attempts by outcome (sent, retried, failed = gave up).",
      labelNames: ["outcome"],
      registers,
    }),
    signinFailures: new Counter({
      name: "interim_signin_failures_total",
      help: "Failed sign-ins by reason (bad-password, unknown-user, disabled, throttled, lockout-policy).",
      labelNames: ["reason"],
      registers,
    }),
    signinThrottles: new Counter({
      name: "interim_signin_throttled_total",
      help: "Sign-ins refused before any bind, by scope (user, ip, policy).",
      labelNames: ["scope"],
      registers,
    }),
    ...databaseGauges(registers),
    httpDuration: new Histogram({
      name: "interim_http_request_duration_seconds",
      help: "Web requests by route pattern, method and status class.",
      labelNames: ["route", "method", "status"],
      buckets: seconds,
      registers,
    }),
  };
}

/**
 * Read at scrape time, with one pair of queries per scrape shared by the gauges (prom-client
 * collects them concurrently). When the database does not answer, interim_database_up says 0 and
 * the figures are left out (no stale numbers) instead of failing the whole scrape.
 */
function databaseGauges(registers: Registry[]) {
  let last: { at: number; snapshot: Promise<Snapshot | undefined> } | undefined;
  const snapshot = () => {
    if (!last || Date.now() - last.at > 1_000) {
      last = {
        at: Date.now(),
        snapshot: Promise.all([grantsByState(db), jobQueue(db)]).then(
          ([grants, queue]) => ({ grants, queue }),
          (err: unknown) => void scoped("metrics").warn({ err: (err as Error).message }, "database figures not collected"),
        ),
      };
    }
    return last.snapshot;
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: Snapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) fill(this, s);
      },
    });
  return {
    /** Each scrape reads the database afresh (the memo only spans one scrape's concurrent collects). */
    forgetDatabaseSnapshot: () => void (last = undefined),
    databaseUp: new Gauge({
      name: "interim_database_up",
      help: "1 when the database answered this scrape's queries, else 0.",
      registers,
      async collect() {
        this.set((await snapshot()) ? 1 : 0);
      },
    }),
    grantsGauge: gauge("interim_grants", "Grants by state (database-wide).", ["state"], (g, s) => {
      for (const [state, n] of Object.entries(s.grants)) g.set({ state }, n);
    }),
    queueGauge: gauge(
      "interim_job_queue_jobs",
      "graphile-worker jobs: due (runnable now), scheduled, running, failed (out of attempts).",
      ["state"],
      (g, s) => {
        for (const state of ["due", "scheduled", "running", "failed"] as const) g.set({ state }, s.queue[state]);
      },
    ),
    oldestGauge: gauge("interim_job_queue_oldest_due_seconds", "How long the oldest runnable job has been due (0 with none).", [], (g, s) =>
      g.set(s.queue.oldestDueSeconds),
    ),
  };
}

type Snapshot = { grants: Record<string, number>; queue: QueueFigures };

export type Metrics = ReturnType<typeof build>;

// Next's dev server reloads modules: one registry per process, or the metrics would register twice.
const globalForMetrics = globalThis as unknown as { interimMetrics?: Metrics };

export function metrics(): Metrics {
  globalForMetrics.interimMetrics ??= build();
  return globalForMetrics.interimMetrics;
}

/** The Prometheus text of this process's metrics. */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  const m = metrics();
  m.forgetDatabaseSnapshot();
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}

/** A DC's label: host:port of its URL (never the URL's credentials or path). */
export function dcLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === "ldaps:" ? "636" : "389")}`;
  } catch {
    return "unknown";
  }
}

/** Times one LDAP bind or operation against `url`, counting its failure by kind. */
export async function timeLdap<T>(url: string, op: "bind" | "operation", fn: () => Promise<T>, kindOf: (err: unknown) => string): Promise<T> {
  const m = metrics();
  const dc = dcLabel(url);
  const end = m.ldapDuration.startTimer({ dc, op });
  try {
    return await fn();
  } catch (err) {
    m.ldapErrors.inc({ dc, op, kind: kindOf(err) });
    throw err;
  } finally {
    end();
  }
}

const secondsBetween = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

/** A grant's membership was written: approval (or scheduled start) → now. */
export function observeActivation(grant: { createdAt: Date; startsAt: Date | null; activatedAt: Date | null }) {
  if (!grant.activatedAt) return;
  const from = grant.startsAt && grant.startsAt > grant.createdAt ? grant.startsAt : grant.createdAt;
  metrics().grantLatency.observe(secondsBetween(from, grant.activatedAt));
}

/** Removals the sweep recorded; the lag only for grants that ran out (a revocation ends early on purpose). */
export function observeRemovals(removed: { reason: string; expiresAt: Date; removedAt: Date }[]) {
  const m = metrics();
  for (const r of removed) {
    m.grantRemovals.inc({ outcome: "removed", reason: r.reason });
    if (r.reason === "expired") m.expiryLag.observe(secondsBetween(r.expiresAt, r.removedAt));
  }
}
