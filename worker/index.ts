import { Logger as GraphileLogger, run } from "graphile-worker";
import { closeDb, db } from "@/db";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { resetDcConnections, serviceConnection } from "@/server/directory/connection";
import { checkDirectory } from "@/server/directory/settings";
import { startDriftWatch } from "@/server/drift/watch";
import { env } from "@/server/env";
import { releaseHeldLeases } from "@/server/grants/leases";
import { enqueue } from "@/server/jobs/enqueue";
import { jobKeys } from "@/server/jobs/registry";
import { requeueCutJobs } from "@/server/jobs/requeue";
import { scoped } from "@/server/logger";
import { closeTransports } from "@/server/notifications/transport";
import { startHeartbeat } from "@/server/ops/heartbeat";
import { siemConfigFromEnv } from "@/server/siem/config";
import { startSiemExport } from "@/server/siem/exporter";
import { startMetricsServer } from "@/server/ops/metrics-server";
import { startAuditAnchor } from "./audit-anchor";
import { startDirectoryProbe } from "./directory-probe";
import { expiryTimerEnabled, startActivationWatchdog, startExpiryTimer } from "./expiry-timer";
import { isLostConnection } from "./lost-connection";
import { startNotificationPoller } from "./notifications-poller";
import { startReplicationPoller } from "./replication-poller";
import { cronItems, taskList } from "./task-list";

process.env.INTERIM_PROCESS ??= "interim-worker";
const log = scoped("worker");

// graphile-worker does not await its completeJob/failJob: when Postgres restarts under a job, that
// write's lost connection is an unhandled rejection, which would end the process. The worker
// survives it (its queue and pools reconnect; a job whose completion was lost stays locked, and the
// activation watchdog re-queues an activation that is still waiting). Anything else ends it as before.
process.on("unhandledRejection", (err) => {
  if (isLostConnection(err)) {
    log.warn({ err }, "database connection lost under a job's completion; carrying on");
    return;
  }
  log.fatal({ err }, "worker crashed (unhandled rejection)");
  process.exit(1);
});
// Anything thrown outside a promise leaves the process in an unknown state: exit non-zero, logged,
// for the supervisor (systemd `Restart=on-failure`) to start a fresh worker. A Postgres restart is
// not such a case any more: postgres-js 3.4.x threw here from a setImmediate when a transaction's
// ROLLBACK or a reserved connection's query went to a socket it had lost (porsager/postgres#1154,
// #1208); patches/postgres+3.4.10.patch rejects that query with CONNECTION_CLOSED instead, and the
// worker reconnects by itself (tests/fault/postgres-restart.test.ts).
process.on("uncaughtException", (err) => {
  log.fatal({ err }, "worker crashed (uncaught exception); exiting for the supervisor to restart it");
  process.exit(1);
});

/**
 * graphile-worker's own lines, through the same logger. Lines about a job name it the way a task's
 * lines do (`job` id, `task`) instead of carrying the whole job row, payload included; a task's
 * error is logged as `err`, with its stack.
 */
const graphileLogger = new GraphileLogger((scope) => {
  const child = scoped(scope.label ? `graphile-${scope.label}` : "graphile", {
    ...(scope.jobId !== undefined ? { job: String(scope.jobId) } : {}),
    ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}),
  });
  return (level, message, meta) => {
    const { job, error, ...rest } = (meta ?? {}) as { job?: { id?: string; task_identifier?: string }; error?: unknown };
    // pino serializes an error (message, stack) only under `err`.
    const fields = {
      ...rest,
      ...(job && typeof job === "object" ? { job: job.id, task: job.task_identifier } : {}),
      ...(error !== undefined ? { err: error } : {}),
    };
    // One "Completed task" line per job is noise at info level; keep it for debug.
    const routine = level === "info" && message.startsWith("Completed task");
    const fn = level === "error" ? child.error : level === "warning" ? child.warn : level === "info" && !routine ? child.info : child.debug;
    fn.call(child, fields, message);
  };
});

async function main() {
  // First: in production without an audit signing key this throws, and the worker does not start.
  const auditAnchor = startAuditAnchor(scoped("audit-anchor"));
  checkDirectory(SYSTEM_ACTOR).then(
    (facts) => log.info({ dcs: facts.domainControllers?.length, pam: facts.pamFeatureEnabled, lockoutThreshold: facts.lockoutThreshold }, "directory checked"),
    (err: Error) => log.warn({ err: err.message }, "directory check failed; will retry with the next job"),
  );

  // A worker that starts may be replacing one that crashed: reconcile at once, not at the next minute.
  await enqueue(db, "grants__reconcile", {}, { jobKey: jobKeys.reconcile(), maxAttempts: 1 });
  // The catalog too, so a fresh install has its devices and privileged accounts without waiting for the cron.
  await enqueue(db, "catalog__sync", {}, { jobKey: jobKeys.catalogSchedule(), maxAttempts: 1 });

  const runner = await run({
    connectionString: env.DATABASE_URL,
    concurrency: env.WORKER_CONCURRENCY,
    pollInterval: env.WORKER_POLL_INTERVAL_MS,
    taskList,
    // The schedules are the registry's (server/jobs/registry.ts).
    parsedCronItems: cronItems(),
    logger: graphileLogger,
    noHandleSignals: true,
  });
  // The jobs running now (job id → who locked it): those a SIGTERM cuts short are given back.
  const running = new Map<string, string>();
  // (locked_by is the worker pool's id: graphile-worker takes jobs for the whole pool.)
  runner.events.on("job:start", ({ job, worker }) => running.set(job.id, job.locked_by ?? worker.workerId));
  runner.events.on("job:complete", ({ job }) => running.delete(job.id));
  const timer = expiryTimerEnabled() ? await startExpiryTimer(scoped("expiry-timer")) : undefined;
  const watchdog = startActivationWatchdog(scoped("activation-watchdog"));
  // Removals first: notifications wait while this worker's timer sweeps.
  const notifications = startNotificationPoller(scoped("notifications"), { holdWhile: () => timer?.sweeping() ?? false });
  const replication = startReplicationPoller(scoped("replication"), env.REPLICATION_CHECK_INTERVAL_MS);
  // Health and metrics (issue 15): the heartbeat readiness and the overview read; Prometheus on its own port.
  const [heartbeat, metricsServer] = await Promise.all([startHeartbeat(scoped("heartbeat"), { concurrency: env.WORKER_CONCURRENCY }), startMetricsServer(log)]);
  const driftWatch =
    env.INTERIM_DRIFT_WATCH === "dirsync" ? startDriftWatch(scoped("drift-watch"), { intervalMs: env.INTERIM_DRIFT_WATCH_INTERVAL_MS }) : undefined;
  const probe = startDirectoryProbe(scoped("directory-probe"), env.DIRECTORY_PROBE_INTERVAL_MS);
  // The audit trail to the SIEM (issue 16): one leader across workers; off without SIEM_SYSLOG_URL.
  const siemConfig = siemConfigFromEnv();
  const siem = siemConfig ? startSiemExport(scoped("siem"), siemConfig) : undefined;
  log.info({ concurrency: env.WORKER_CONCURRENCY, timer: Boolean(timer) }, "worker started");
  if (!process.env.APP_URL && env.NODE_ENV === "production") {
    log.warn({ appUrl: env.APP_URL }, "APP_URL is not set: links in notification mails and webhooks point at localhost");
  }
  if (!env.SMTP_URL) log.info("SMTP_URL is not set: notifications go to webhooks only");

  let stopping = false;
  /**
   * SIGTERM: stop taking work, let running jobs finish for INTERIM_SHUTDOWN_GRACE_MS, then cut
   * them; jobs cut short and grant leases still held are handed back so another worker takes them
   * at once. Whatever hangs, the process is gone within the grace + 2.5 s.
   */
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = Date.now() + env.INTERIM_SHUTDOWN_GRACE_MS;
    setTimeout(() => {
      log.error({ signal }, "worker shutdown overran: exiting");
      process.exit(1);
    }, env.INTERIM_SHUTDOWN_GRACE_MS + 2_500).unref();
    const left = () => Math.max(0, deadline - Date.now());
    log.info({ signal, graceMs: env.INTERIM_SHUTDOWN_GRACE_MS, running: running.size }, "worker stopping");
    watchdog.stop();
    const stopped = await within(
      Promise.all([
        notifications.stop(),
        replication.stop(),
        driftWatch?.stop(),
        probe.stop(),
        auditAnchor.stop(),
        timer?.stop(),
        runner.stop(),
        siem?.stop(),
      ]).then(() => true),
      left(),
    );
    if (!stopped) {
      const cut = [...running.keys()];
      log.warn({ jobs: cut }, "grace over: cutting the jobs still running");
      await within(runner.kill("SIGTERM grace over"), 1_000);
      const requeued = await requeueCutJobs(cut, [...new Set(running.values())]).catch((err: Error) => (log.error({ err }, "requeue"), 0));
      const leases = await releaseHeldLeases().catch((err: Error) => (log.error({ err }, "lease release"), 0));
      log.info({ requeued, leases }, "jobs and grant leases handed back");
    }
    await within(
      Promise.all([heartbeat.stop(), metricsServer?.close(), serviceConnection().reset(), resetDcConnections()]).then(() => true),
      500,
    );
    closeTransports();
    await within(
      closeDb().then(() => true),
      500,
    );
    log.info({ clean: stopped }, "worker stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await runner.promise;
}

/** Whether `p` settled within `ms` (its outcome is not waited for after that). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => (clearTimeout(t), resolve(true)),
      (err: Error) => (clearTimeout(t), log.warn({ err }, "while stopping"), resolve(true)),
    );
  });
}

main().catch((err) => {
  log.fatal({ err }, "worker crashed");
  process.exit(1);
});
