import { makeWorkerUtils, run, Logger as GraphileLogger, type TaskList } from "graphile-worker";
import pino from "pino";
import { closeDb } from "@/db";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { resetDcConnections, serviceConnection } from "@/server/directory/connection";
import { checkDirectory } from "@/server/directory/settings";
import { env } from "@/server/env";
import { closeTransports } from "@/server/notifications/transport";
import { expiryTimerEnabled, startActivationWatchdog, startExpiryTimer } from "./expiry-timer";
import { startNotificationPoller } from "./notifications-poller";
import { startReplicationPoller } from "./replication-poller";
import { catalog__sync } from "./tasks/catalog__sync";
import { grants__activate } from "./tasks/grants__activate";
import { grants__expire } from "./tasks/grants__expire";
import { grants__protected_cleanup } from "./tasks/grants__protected_cleanup";
import { grants__reconcile } from "./tasks/grants__reconcile";
import { grants__rollback_set } from "./tasks/grants__rollback_set";
import { grants__temporary_group_cleanup } from "./tasks/grants__temporary_group_cleanup";
import { grants__warn } from "./tasks/grants__warn";
import { notifications__dispatch } from "./tasks/notifications__dispatch";
import { requests__expire } from "./tasks/requests__expire";

process.env.INTERIM_PROCESS ??= "interim-worker";
const log = pino({ level: env.LOG_LEVEL, base: { proc: "worker" } });

const taskList: TaskList = {
  grants__activate,
  grants__expire,
  grants__reconcile,
  grants__warn,
  grants__protected_cleanup,
  grants__rollback_set,
  grants__temporary_group_cleanup,
  catalog__sync,
  requests__expire,
  notifications__dispatch,
};

const graphileLogger = new GraphileLogger((scope) => (level, message, meta) => {
  const child = log.child({ scope: scope.label ?? "graphile" });
  // One "Completed task" line per job is noise at info level; keep it for debug.
  const routine = level === "info" && message.startsWith("Completed task");
  const fn = level === "error" ? child.error : level === "warning" ? child.warn : level === "info" && !routine ? child.info : child.debug;
  fn.call(child, meta ?? {}, message);
});

async function main() {
  checkDirectory(SYSTEM_ACTOR).then(
    (facts) => log.info({ dcs: facts.domainControllers?.length, pam: facts.pamFeatureEnabled, lockoutThreshold: facts.lockoutThreshold }, "directory checked"),
    (err: Error) => log.warn({ err: err.message }, "directory check failed; will retry with the next job"),
  );

  // A worker that starts may be replacing one that crashed: reconcile at once, not at the next minute.
  const utils = await makeWorkerUtils({ connectionString: env.DATABASE_URL, logger: graphileLogger });
  await utils.addJob("grants__reconcile", {}, { jobKey: "grants-reconcile", jobKeyMode: "replace", maxAttempts: 1 });
  // The catalog too, so a fresh install has its devices and privileged accounts without waiting for the cron.
  await utils.addJob("catalog__sync", {}, { jobKey: "catalog-sync-schedule", jobKeyMode: "replace", maxAttempts: 1 });
  await utils.release();

  const runner = await run({
    connectionString: env.DATABASE_URL,
    concurrency: env.WORKER_CONCURRENCY,
    pollInterval: env.WORKER_POLL_INTERVAL_MS,
    taskList,
    // Every minute; the reconcile also re-queues activations a crashed worker left behind.
    // No named queues: graphile-worker keeps a killed worker's queue locked for four hours.
    // Advisory locks keep reconciles (and catalog syncs) apart instead (server/jobs/locks.ts).
    crontab: [
      `* * * * * grants__reconcile ?max=1&jobKey=grants-reconcile&jobKeyMode=replace`,
      `* * * * * requests__expire ?max=1&jobKey=requests-expire&jobKeyMode=replace`,
      `* * * * * grants__protected_cleanup ?max=1&jobKey=grants-protected-cleanup&jobKeyMode=replace`,
      `*/2 * * * * grants__temporary_group_cleanup ?max=1&jobKey=grants-temporary-group-cleanup&jobKeyMode=replace`,
      // The worker's poller sends notifications within a second; the cron is a second way in.
      `* * * * * notifications__dispatch ?max=1&jobKey=notifications-dispatch&jobKeyMode=preserve_run_at`,
      `${env.CATALOG_SYNC_CRON} catalog__sync ?max=1&jobKey=catalog-sync-schedule&jobKeyMode=replace`,
    ].join("\n"),
    logger: graphileLogger,
    noHandleSignals: true,
  });
  const timer = expiryTimerEnabled() ? await startExpiryTimer(log) : undefined;
  const watchdog = startActivationWatchdog(log);
  // Removals first: notifications wait while this worker's timer sweeps.
  const notifications = startNotificationPoller(log, { holdWhile: () => timer?.sweeping() ?? false });
  const replication = startReplicationPoller(log, env.REPLICATION_CHECK_INTERVAL_MS);
  log.info({ concurrency: env.WORKER_CONCURRENCY, timer: Boolean(timer) }, "worker started");
  if (!process.env.APP_URL && env.NODE_ENV === "production") {
    log.warn({ appUrl: env.APP_URL }, "APP_URL is not set: links in notification mails and webhooks point at localhost");
  }
  if (!env.SMTP_URL) log.info("SMTP_URL is not set: notifications go to webhooks only");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "worker stopping");
    watchdog.stop();
    await notifications.stop();
    await replication.stop();
    await timer?.stop();
    await runner.stop();
    await serviceConnection().reset();
    await resetDcConnections();
    closeTransports();
    await closeDb();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await runner.promise;
}

main().catch((err) => {
  log.fatal({ err }, "worker crashed");
  process.exit(1);
});
