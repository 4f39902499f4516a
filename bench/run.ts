/**
 * Interim benchmark: `npm run bench` (scripts/bench.sh runs this inside scripts/with-stack.ts).
 *
 *   1. raw ldapts: single `member` add latency (service account, one LDAPS connection)
 *   2. grant latency: submitRequest committed → membership visible on the DC (real worker)
 *   3. expiry lag: M grants over K groups, activated by the worker, all expiring at one instant T; removed_at − expires_at
 *   4. bulk expiry: N grants (seeded active) over K other groups, all due at one instant, and a reconcile pass over them
 *   5. raw ldapts: removal throughput with 1 / 50 / 500 DN values and 500 <GUID=…> values per modify from
 *      one group of M (ceilings), and the same N removals as phase 4 from groups of the same shape
 *   6. notifications: the outbox events of phases 2–3 mailed over SMTP to a loopback sink, next to raw nodemailer
 *   7. recorded SSH sessions (bench/sessions.ts): session start, keystroke echo and C concurrent recorded sessions
 *      through the gateway (its own process), each next to direct ssh to the same target
 *
 * Env: BENCH_EXPIRY_GRANTS (M, 1000), BENCH_BULK_GRANTS (N, 10000; 0 skips phase 4), BENCH_GROUPS (K, 10),
 * BENCH_LATENCY_GRANTS (200), BENCH_RAW_SAMPLES (200), BENCH_POLL_MS (2), BENCH_SINGLE_REMOVE_CAP (1000),
 * BENCH_EXPIRY_LEAD_SECONDS (5, more for M > 5000), BENCH_BULK_LEAD_SECONDS (N/1000, at least 5),
 * BENCH_REUSE_GROUPS (0: groups are recreated every run), BENCH_SESSION_STARTS (20), BENCH_ECHO_SAMPLES (300),
 * BENCH_CONCURRENT_SESSIONS (C, 50; 0 skips phase 7), BENCH_SESSION_OUTPUT_BYTES (2,000,000), BENCH_ONLY=sessions (phase 7 alone).
 * Drift (bench/drift.ts): BENCH_DRIFT_SAMPLES (20; 0 skips it), BENCH_DRIFT_CRON_SAMPLES (0: the cron's figure from its interval
 * and a timed pass), BENCH_ONLY=drift (that phase alone).
 *   9. client (bench/client.ts): gzipped JavaScript per page next to the framework's baseline, and Lighthouse's mobile
 *      performance score, TBT and LCP per page, on a production build with ~1,000 privileges; BENCH_ONLY=client-js
 *      (the sums alone) or BENCH_ONLY=lighthouse (both); BENCH_CLIENT_PORT (3280), BENCH_CLIENT_PRIVILEGES (1000).
 * SIEM export (bench/siem.ts, BENCH_ONLY=siem): the export rate to a local rsyslog next to the audit insert rate; BENCH_SIEM_EVENTS (20000).
 * Audit export (bench/audit-export.ts): BENCH_ONLY=audit-export, BENCH_AUDIT_ROWS (1,000,000), BENCH_AUDIT_ADMIN (carol).
 * Prints progress, then a table; writes bench/results/<timestamp>.json; exits 1 if anything failed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

// The bench process submits requests 4 at a time and reads a lot: a slightly larger pool than the default.
process.env.DB_POOL_MAX ??= "12";
process.env.INTERIM_PROCESS ??= "interim-bench";

const { closeDb, db } = await import("@/db");
const { sql } = await import("drizzle-orm");
const { serviceConnection } = await import("@/server/directory/connection");
const { listDomainControllers } = await import("@/server/directory/domain");
const { env } = await import("@/server/env");
const { adminClient, safeUnbind, serviceClient } = await import("./lib/ldap");
const { log, ms, pct, rate, table } = await import("./lib/stats");
const { WorkerControl, summarizeLines } = await import("./lib/worker");
const phases = await import("./phases");
const { bulkExpiry, rawShapeCeiling } = await import("./bulk");
const { setupFixture } = await import("./setup");
const { sessionsBench } = await import("./sessions");
const { sessionRows } = await import("./sessions-report");
const { setupSessionsFixture } = await import("./sessions-setup");
const { clientBench } = await import("./client");

type Client = Awaited<ReturnType<typeof serviceClient>>;
/** Ends a BENCH_ONLY=activation run after its phases (the report follows as usual). */
class ActivationOnly extends Error {}

function intEnv(name: string, def: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

const M = intEnv("BENCH_EXPIRY_GRANTS", 1000);
const N = intEnv("BENCH_BULK_GRANTS", 10_000, 0);
const K = intEnv("BENCH_GROUPS", 10);
const LATENCY_GRANTS = intEnv("BENCH_LATENCY_GRANTS", 200);
const RAW_SAMPLES = intEnv("BENCH_RAW_SAMPLES", 200);
const POLL_MS = intEnv("BENCH_POLL_MS", 2, 0);
const SINGLE_CAP = intEnv("BENCH_SINGLE_REMOVE_CAP", 1000);
// Phase 7 (recorded sessions); BENCH_ONLY=sessions runs only that one; BENCH_ONLY=activation runs phases 1, 2 and 2b; BENCH_ONLY=expiry only phase 3.
const ONLY = process.env.BENCH_ONLY || undefined;
const ONLY_VALUES = ["sessions", "drift", "activation", "client-js", "lighthouse", "scale", "expiry", "siem", "audit-export"];
if (ONLY !== undefined && !ONLY_VALUES.includes(ONLY)) throw new Error(`BENCH_ONLY must be one of ${ONLY_VALUES.join(", ")} or unset, got "${ONLY}"`);
const DRIFT_SAMPLES = intEnv("BENCH_DRIFT_SAMPLES", 20, ONLY === "drift" ? 1 : 0);
const DRIFT_CRON_SAMPLES = intEnv("BENCH_DRIFT_CRON_SAMPLES", 0, 0);
const ACTIVATION_GRANTS = intEnv("BENCH_ACTIVATION_GRANTS", 1000, 0);
// Phase 3 with N workers side by side; unset: once with 1, then with 3 (the figures side by side).
const WORKER_COUNTS = process.env.BENCH_WORKERS ? [intEnv("BENCH_WORKERS", 1)] : [1, 3];
const CLIENT_ONLY = ONLY === "client-js" || ONLY === "lighthouse";
// The roles page at scale (bench/scale.ts): its own web process, seed and table.
if (ONLY === "scale") {
  const { runScaleBench, scaleTable } = await import("./scale");
  const { results: scale, problems: scaleProblems } = await runScaleBench();
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    path.join(
      "bench/results",
      `scale-${new Date()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z")}.json`,
    ),
    JSON.stringify(scale, null, 2),
  );
  console.log(`\nThe roles page at scale (BENCH_ONLY=scale), node ${process.version}, ${os.cpus().length} CPU(s)\n${scaleTable(scale)}`);
  for (const p of scaleProblems) console.log(`problem: ${p}`);
  await closeDb();
  process.exit(scaleProblems.length ? 1 : 0);
}
// The SIEM export rate next to the audit insert rate (bench/siem.ts): no directory or worker needed.
if (ONLY === "siem") {
  const { runSiemBench, siemTable } = await import("./siem");
  const siemProblems: string[] = [];
  const siem = await runSiemBench(intEnv("BENCH_SIEM_EVENTS", 20_000), siemProblems);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    path.join(
      "bench/results",
      `siem-${new Date()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z")}.json`,
    ),
    JSON.stringify(siem, null, 2),
  );
  console.log(`\nSIEM export (BENCH_ONLY=siem), node ${process.version}, ${os.cpus().length} CPU(s)\n${siemTable(siem)}`);
  for (const p of siemProblems) console.log(`problem: ${p}`);
  await closeDb();
  process.exit(siemProblems.length ? 1 : 0);
}
// The audit trail's export (bench/audit-export.ts, issue 16): its own seed and table.
if (ONLY === "audit-export") {
  const { runAuditExportBench } = await import("./audit-export");
  const { results: exported, problems: exportProblems } = await runAuditExportBench();
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    path.join(
      "bench/results",
      `audit-export-${new Date()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z")}.json`,
    ),
    JSON.stringify(exported, null, 2),
  );
  for (const p of exportProblems) console.log(`problem: ${p}`);
  await closeDb();
  process.exit(exportProblems.length ? 1 : 0);
}
const SESSION_STARTS = intEnv("BENCH_SESSION_STARTS", 20);
const ECHO_SAMPLES = intEnv("BENCH_ECHO_SAMPLES", 300);
const CONCURRENT_SESSIONS = ONLY === "drift" || ONLY === "expiry" ? 0 : intEnv("BENCH_CONCURRENT_SESSIONS", 50, ONLY === "sessions" ? 1 : 0);
const SESSION_OUTPUT_BYTES = intEnv("BENCH_SESSION_OUTPUT_BYTES", 2_000_000);
// T = now() + 5 s as a rule; moving (and re-keying the jobs of) 10,000 grants takes up to a second
// on a busy machine, so large M and N get more lead: the statement always commits well before T.
const LEAD_SECONDS = intEnv("BENCH_EXPIRY_LEAD_SECONDS", Math.max(5, Math.ceil(M / 1000)));
const BULK_LEAD_SECONDS = intEnv("BENCH_BULK_LEAD_SECONDS", Math.max(5, Math.ceil(N / 1000)));
// One value per modify is slow (tens of ms each): phase 5 samples it on the bulk shape.
const BULK_SINGLE_SAMPLE = Math.min(SINGLE_CAP, 500);
const runId = new Date();
const stamp = runId
  .toISOString()
  .replace(/[-:]/g, "")
  .replace(/\.\d+Z$/, "Z"); // ISO 8601 basic: 20260101T120000Z
const labels = { latency: `bench:${stamp}:latency`, expiry: `bench:${stamp}:expiry`, bulk: `bench:${stamp}:bulk` };

const problems: string[] = [];
const results: Record<string, unknown> = {};
let admin: Client | undefined;
let svc: Client | undefined;
let poll: Client | undefined;
const worker = new WorkerControl();
// Interrupted (Ctrl-C, or with-stack passing on SIGTERM): take the worker's process group down too.
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    worker.killNow();
    process.exit(130);
  });
}
process.on("exit", () => worker.killNow());
let fatal: string | undefined;

function sambaVersion(): string | null {
  try {
    return execFileSync("samba", ["--version"], { encoding: "utf8", timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

try {
  if (ONLY === "sessions" || ONLY === "drift") {
    log(
      ONLY === "drift"
        ? `Interim bench, drift only (BENCH_ONLY=drift): ${DRIFT_SAMPLES} tries`
        : `Interim bench, sessions only (BENCH_ONLY=sessions): ${SESSION_STARTS} starts, ${ECHO_SAMPLES} echo samples, ${CONCURRENT_SESSIONS} concurrent sessions`,
    );
    const dcs = await listDomainControllers();
    const [pg] = await db.execute<{ v: string }>(sql`select current_setting('server_version') as v`);
    results.environment = {
      node: process.version,
      platform: `${os.type()} ${os.release()} (${os.arch()}), ${os.cpus().length} CPU(s)`,
      samba: sambaVersion(),
      domainControllers: dcs.map((d) => d.hostName),
      ldapUrl: env.LDAP_URL,
      postgres: pg?.v,
      loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
    };
  } else if (!CLIENT_ONLY) {
    const users =
      ONLY === "activation"
        ? Math.max(ACTIVATION_GRANTS, LATENCY_GRANTS)
        : ONLY === "expiry"
          ? Math.max(M, LATENCY_GRANTS)
          : Math.max(M, LATENCY_GRANTS, N, ACTIVATION_GRANTS);
    log(
      `Interim bench: M=${M} expiring grants over K=${K} groups, N=${N} bulk expiries, ${LATENCY_GRANTS} latency grants, ${RAW_SAMPLES} raw samples, ${users} bench users`,
    );

    // ------------------------------------------------------------------ setup --
    admin = await adminClient();
    const fx = await setupFixture(admin, {
      users,
      groups: K,
      bulkGroups: N > 0 && ONLY !== "activation" ? K : 0,
      recreateGroups: process.env.BENCH_REUSE_GROUPS !== "1",
    });
    await safeUnbind(admin);
    admin = undefined;
    results.setup = {
      seconds: fx.seconds,
      createdUsers: fx.created.users,
      createdGroups: fx.created.groups,
      users: fx.users.length,
      groups: fx.groups.map((g) => g.dn),
      rawGroup: fx.rawGroupDn,
    };
    log(
      `setup: ${fx.users.length} users, ${fx.groups.length} published groups + raw group in ${fx.seconds.toFixed(1)} s (created ${fx.created.users} users, ${fx.created.groups} groups)`,
    );

    const dcs = await listDomainControllers();
    const [pg] = await db.execute<{ v: string }>(sql`select current_setting('server_version') as v`);
    results.environment = {
      node: process.version,
      platform: `${os.type()} ${os.release()} (${os.arch()}), ${os.cpus().length} CPU(s)`,
      samba: sambaVersion(),
      domainControllers: dcs.map((d) => d.hostName),
      ldapUrl: env.LDAP_URL,
      postgres: pg?.v,
      workerConcurrency: env.WORKER_CONCURRENCY,
      workerPollIntervalMs: env.WORKER_POLL_INTERVAL_MS,
      expiryBatchSize: env.EXPIRY_BATCH_SIZE,
      ldapModifyBatchSize: env.LDAP_MODIFY_BATCH_SIZE,
      M,
      N,
      K,
      users: fx.users.length,
      loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
    };
    const [load1] = os.loadavg();
    if (load1! > os.cpus().length)
      log(
        `WARNING: load average ${load1!.toFixed(1)} on ${os.cpus().length} CPU(s): other processes compete with the DC, Postgres and the worker; numbers will be noisy`,
      );
    log(`DCs: ${dcs.length} (${dcs.map((d) => d.hostName).join(", ")}); ${sambaVersion() ?? "samba version unknown"}; node ${process.version}`);
    // The product's shared service connection is not needed any more in this process.
    await serviceConnection().reset();

    svc = await serviceClient();
    poll = await serviceClient();

    // -------------------------------------------------------------- phase 1 --
    log(`phase 1: raw single add-member latency (${RAW_SAMPLES}× add + remove, svc-interim) …`);
    const raw1 = await phases.rawSingleAdd(svc, fx.rawGroupDn, fx.users[0]!.dn, ONLY === "expiry" ? 3 : RAW_SAMPLES, problems);
    results.rawSingleAdd = raw1;
    log(`  add ${pct(raw1.addMs)}; remove ${pct(raw1.removeMs)}`);

    // Phase 2 times one raw add before each grant too, so that both see the same moments of a shared DC.
    const rawAddTarget = { client: svc, groupDn: fx.rawGroupDn, memberDn: fx.users[0]!.dn };

    // -------------------------------------------------------------- worker --
    log("starting the worker (npx tsx worker/index.ts, LOG_LEVEL=warn) …");
    worker.start();

    // Warm-up (not measured): the worker compiles, binds and connects; the first grants pay for it.
    {
      const warm = await phases.grantLatency(fx, poll, worker, { samples: 3, pollMs: 10, label: `bench:${stamp}:warmup`, raw: rawAddTarget }, problems);
      log(`worker warm: first grants took ${ms(warm.latencyMs.max)} at most`);
    }

    const workerLinesBefore: Record<string, number> = {};
    // -------------------------------------------------------------- phase 2 --
    workerLinesBefore.latency = worker.lines.length;
    log(`phase 2: grant latency, ${LATENCY_GRANTS} sequential grants (poll every ${POLL_MS} ms) …`);
    if (ONLY !== "expiry") {
      const lat = await phases.grantLatency(fx, poll, worker, { samples: LATENCY_GRANTS, pollMs: POLL_MS, label: labels.latency, raw: rawAddTarget }, problems);
      results.grantLatency = lat;
      log(
        `  submit → visible: ${pct(lat.latencyMs)}; ended all ${lat.endAll.grants} in ${lat.endAll.seconds.toFixed(2)} s, ${lat.endAll.verifiedAbsent} verified absent`,
      );
    }

    // ------------------------------------------------------------- phase 2b --
    if (ACTIVATION_GRANTS > 0 && ONLY !== "expiry") {
      log(`phase 2b: activation of ${ACTIVATION_GRANTS} grants queued at one instant (batched per group) …`);
      const { activationBurst } = await import("./activation");
      results.activationBurst = await activationBurst(
        fx,
        poll,
        svc,
        worker,
        { grants: ACTIVATION_GRANTS, label: `bench:${stamp}:activation`, leadSeconds: 8 },
        problems,
      );
    }
    if (ONLY === "activation") throw new ActivationOnly();

    // -------------------------------------------------------------- phase 3 --
    workerLinesBefore.expiry = worker.lines.length;
    const byWorkers: Record<number, Awaited<ReturnType<typeof phases.expiryLag>>> = {};
    for (const n of WORKER_COUNTS) {
      worker.count = n;
      log(`phase 3: expiry lag, ${M} grants over ${K} groups expiring together, ${n} worker(s) …`);
      const label = WORKER_COUNTS.length > 1 ? `${labels.expiry}:w${n}` : labels.expiry;
      byWorkers[n] = await phases.expiryLag(fx, poll, worker, { grants: M, label, leadSeconds: LEAD_SECONDS }, problems);
      log(`  ${n} worker(s): lag ${pct(byWorkers[n].lagMs)}; T → last removal ${ms(byWorkers[n].lastRemovalAfterTms)}`);
    }
    worker.count = 1;
    // The report's expiry rows are the first run's (1 worker unless BENCH_WORKERS says otherwise).
    results.expiry = byWorkers[WORKER_COUNTS[0]!];
    results.expiryByWorkers = Object.fromEntries(
      Object.entries(byWorkers).map(([n, e]) => [n, { lagMs: e.lagMs, lastRemovalAfterTms: e.lastRemovalAfterTms, activation: e.activation }]),
    );

    // -------------------------------------------------------------- phase 4 --
    workerLinesBefore.bulk = worker.lines.length;
    if (N > 0 && ONLY !== "expiry") {
      log(`phase 4: bulk expiry, ${N} grants over ${fx.bulkGroups.length} groups due at one instant …`);
      const bulk = await bulkExpiry(fx, svc, poll, worker, { grants: N, label: labels.bulk, leadSeconds: BULK_LEAD_SECONDS }, problems);
      results.bulkExpiry = bulk;
      log(`  lag ${pct(bulk.lagMs)}; T → last removal ${ms(bulk.lastRemovalAfterTms)} (${rate(bulk.removalPerSecond, " changes/s")})`);
    }

    await worker.stop();
    const phaseLines = (from: number, to: number) => worker.lines.slice(from, to).filter((l) => l.level >= 50).length;
    results.workerErrorLinesByPhase = {
      warmup: phaseLines(0, workerLinesBefore.latency),
      grantLatency: phaseLines(workerLinesBefore.latency!, workerLinesBefore.expiry),
      expiry: phaseLines(workerLinesBefore.expiry!, workerLinesBefore.bulk),
      bulkExpiry: phaseLines(workerLinesBefore.bulk!, worker.lines.length),
    };

    // -------------------------------------------------------------- phase 5 --
    if (ONLY !== "expiry") {
      log("phase 5: raw ldapts removal throughput (worker stopped) …");
      const raw5 = await phases.rawRemoveThroughput(
        svc,
        fx.rawGroupDn,
        fx.users.slice(0, M).map((u) => u.dn),
        fx.users.slice(0, M).map((u) => `<GUID=${u.guid}>`),
        { singleCap: SINGLE_CAP, batches: [50, 500] },
        problems,
      );
      results.rawRemove = raw5;
      if (N > 0) results.rawBulkShape = await rawShapeCeiling(svc, fx, N, BULK_SINGLE_SAMPLE, problems);

      // -------------------------------------------------------------- phase 6 --
      log("phase 6: notifications mailed over SMTP to a loopback sink (worker stopped) …");
      const { notificationThroughput } = await import("./notifications");
      const nt = await notificationThroughput(Math.max(200, RAW_SAMPLES), [labels.bulk], problems);
      results.notifications = nt;
      log(
        `  ${nt.events} events → ${nt.mails} mails in ${nt.seconds.toFixed(2)} s (${rate(nt.mailsPerSecond, "/s")}); raw nodemailer ${rate(nt.rawMailsPerSecond, "/s")}`,
      );
    }
  }

  // -------------------------------------------------------------- phase 8 --
  if (DRIFT_SAMPLES > 0 && (ONLY === undefined || ONLY === "drift")) {
    log("phase 8: drift detection delay (issue 15: the worker's DirSync watcher vs the minute's cron) …");
    const { driftBench } = await import("./drift");
    results.drift = await driftBench(worker, { samples: DRIFT_SAMPLES, cronSamples: DRIFT_CRON_SAMPLES }, problems);
  }

  // -------------------------------------------------------------- phase 7 --
  if (CONCURRENT_SESSIONS > 0 && !CLIENT_ONLY) {
    log("phase 7: recorded SSH sessions through the gateway (issue 14; worker stopped, its steps in-process) …");
    admin = await adminClient();
    const sfx = await setupSessionsFixture(admin, { accounts: CONCURRENT_SESSIONS });
    await safeUnbind(admin);
    admin = undefined;
    results.sessions = await sessionsBench(
      sfx,
      { starts: SESSION_STARTS, echoSamples: ECHO_SAMPLES, concurrent: CONCURRENT_SESSIONS, outputBytes: SESSION_OUTPUT_BYTES },
      problems,
    );
  }

  // -------------------------------------------------------------- phase 9 --
  if (ONLY === undefined || CLIENT_ONLY) {
    if (CLIENT_ONLY)
      results.environment = {
        node: process.version,
        platform: `${os.type()} ${os.release()} (${os.arch()}), ${os.cpus().length} CPU(s)`,
        domainControllers: [],
      };
    log(`phase 9: client JavaScript per page${ONLY === "client-js" ? "" : " and Lighthouse (mobile)"} on the production build …`);
    results.client = await clientBench({
      port: intEnv("BENCH_CLIENT_PORT", 3280),
      privileges: intEnv("BENCH_CLIENT_PRIVILEGES", 1000, 0),
      lighthouse: ONLY !== "client-js",
      problems,
    });
  }
} catch (err) {
  if (err instanceof ActivationOnly) {
    // BENCH_ONLY=activation: phases 1, 2 and 2b are done.
  } else {
    fatal = err instanceof Error ? (err.stack ?? err.message) : String(err);
    problems.push(`fatal: ${err instanceof Error ? err.message : String(err)}`);
    console.error(fatal);
  }
} finally {
  await worker.stop().catch(() => {});
  results.workerLog = {
    starts: worker.starts,
    lines: worker.lines.length,
    warnings: worker.lines.filter((l) => l.level === 40 && !/^npm warn /i.test(l.raw)).length,
    errors: worker.lines.filter((l) => l.level >= 50).length,
    top: summarizeLines(worker.lines.filter((l) => !/^npm warn /i.test(l.raw))),
    firstErrors: worker.lines
      .filter((l) => l.level >= 50)
      .slice(0, 3)
      .map((l) => l.raw.slice(0, 1500)),
    firstWarnings: worker.lines
      .filter((l) => l.level === 40 && !/^npm warn /i.test(l.raw))
      .slice(0, 20)
      .map((l) => l.msg),
  };
  await safeUnbind(admin);
  await safeUnbind(svc);
  await safeUnbind(poll);
  await serviceConnection()
    .reset()
    .catch(() => {});
}

// ------------------------------------------------------------------ report --
type R = typeof results & {
  rawSingleAdd?: Awaited<ReturnType<typeof phases.rawSingleAdd>>;
  grantLatency?: Awaited<ReturnType<typeof phases.grantLatency>>;
  expiry?: Awaited<ReturnType<typeof phases.expiryLag>>;
  expiryByWorkers?: Record<string, Pick<Awaited<ReturnType<typeof phases.expiryLag>>, "lagMs" | "lastRemovalAfterTms">>;
  rawRemove?: Awaited<ReturnType<typeof phases.rawRemoveThroughput>>;
  bulkExpiry?: import("./bulk").BulkExpiryResult;
  rawBulkShape?: import("./bulk").ShapeCeilingResult;
  notifications?: import("./notifications").NotificationResult;
  sessions?: import("./sessions").SessionsResult;
  environment?: { samba: string | null; domainControllers: string[]; workerConcurrency: number; expiryBatchSize: number; ldapModifyBatchSize: number };
};
const r = results as R;
const rows: string[][] = [];
const modeOf = (n: number, form: "dn" | "guid" = "dn") => r.rawRemove?.modes.find((m) => m.valuesPerModify === n && m.valueForm === form);
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "—");
/** What the sentinel probes say about removed_at. */
function sentinelNote(e: import("./expiry").ExpiryTogetherResult): string {
  const xs = e.dcSentinels;
  if (xs.length === 0) return "no DC sentinel data";
  const consistent = xs.filter((x) => x.removedAtAfterTms !== null && (x.lastSeenPresentProbeSentAfterTms ?? -Infinity) <= x.removedAtAfterTms + 20).length;
  const rtt = Math.max(...xs.map((x) => x.maxProbeRttMs));
  return `${consistent}/${xs.length} sentinel memberships consistent with removed_at on the DC (probe round trips up to ${ms(rtt)})`;
}

if (r.rawSingleAdd) {
  const a = r.rawSingleAdd.addMs;
  rows.push([
    "member add, 1 value per modify",
    "—",
    `p50 ${ms(a.p50)} · p99 ${ms(a.p99)}`,
    `${a.n} samples, svc-interim, one LDAPS connection (remove: p50 ${ms(r.rawSingleAdd.removeMs.p50)})`,
  ]);
}
if (r.grantLatency) {
  const g = r.grantLatency;
  const a = g.rawAddMs;
  rows.push([
    "grant latency: request committed → member on DC",
    pct(g.latencyMs),
    `p50 ${ms(a.p50)} · p99 ${ms(a.p99)} (one add, just before each grant)`,
    `${g.latencyMs.n} sequential grants, memberOf polled every ${g.pollIntervalMs} ms; Interim ÷ one raw add: p50 ${ratio(g.latencyMs.p50, a.p50)}, p99 ${ratio(g.latencyMs.p99, a.p99)}; where it goes (p50 / p99): commit → claim recorded (NOTIFY, job fetch, claim tx) ${ms(g.pickupMs.p50)} / ${ms(g.pickupMs.p99)}, → visible on the DC (commit, LDAP add, poll) ${ms(g.addMs.p50)} / ${ms(g.addMs.p99)}; then the activation tx ${ms(g.activationTxMs.p50)}`,
  ]);
}
if (r.activationBurst) {
  const b = r.activationBurst as import("./activation").ActivationBurstResult;
  rows.push([
    `activation of ${b.grants} grants queued at one instant`,
    `${ms(b.visibleAfterTms)} to all visible on the DC · ${rate(b.perSecond, " grants/s")}`,
    `${ms(b.raw.ms)} · ${rate(b.raw.perSecond, " adds/s")} (${b.raw.modifies} raw modifies of ≤ ${b.batchSize} <GUID=…> values)`,
    `issue 15: claimed together and written per group; Interim ÷ raw ${ratio(b.raw.ms, b.visibleAfterTms ?? NaN)}; T → last activated_at (records committed) ${ms(b.recordedAfterTms)}; ${b.groups} groups`,
  ]);
}
if (r.expiry) {
  const e = r.expiry;
  const single = r.rawSingleAdd ? 1000 / r.rawSingleAdd.addMs.mean : undefined;
  rows.push([
    `activation of ${e.grants} queued grants`,
    `${e.activation.seconds.toFixed(1)} s · ${rate(e.activation.perSecond, " grants/s")}`,
    single ? `${rate(single, " adds/s")} (sequential single adds)` : "—",
    `backlog drained by a fresh worker: first claim → last activated_at (start → first claim ${e.activation.workerStartToFirstClaimSeconds.toFixed(1)} s); submitted 4 at a time at ${rate(e.submit.perSecond, "/s")}; ${e.activation.verifiedMembers} memberships verified on the DC`,
  ]);
  rows.push([
    `reconcile with ${e.reconcile.activeGrants} active grants`,
    `${ms(e.reconcile.seconds * 1000)}`,
    "—",
    `one full pass over ${e.reconcile.groupsChecked} managed group(s): each group's members read from the DC and compared with the grants (drift included)`,
  ]);
  rows.push([
    "expiry lag: removed_at − expires_at",
    pct(e.lagMs),
    "—",
    `${e.grants} grants over ${e.groups} groups, all due at one instant T (set ${e.update.leadSeconds} s ahead); ${e.removalBatches.length} removal transactions`,
  ]);
  const byWorkers = Object.entries(r.expiryByWorkers ?? {});
  if (byWorkers.length > 1) {
    const [one, first] = byWorkers[0]!;
    const more = byWorkers.slice(1);
    for (const [n, w] of more) {
      rows.push([
        `expiry lag with ${n} workers (same run)`,
        pct(w.lagMs),
        `${pct(first.lagMs)} (${one} worker)`,
        `the same ${e.grants} grants' shape with ${n} worker processes side by side on one database; T → last removal ${ms(w.lastRemovalAfterTms)} (${one} worker: ${ms(first.lastRemovalAfterTms)})`,
      ]);
    }
  }
  // Interim's worker names members by <GUID=…>: compare with the raw run that does the same.
  const r500 = modeOf(500, "guid") ?? modeOf(500);
  rows.push([
    "T → last membership removed",
    `${ms(e.lastRemovalAfterTms)} (first ${ms(e.firstRemovalAfterTms)})`,
    r500 ? `${ms((e.grants / r500.perSecond) * 1000)} (${e.grants} removals at the raw 500-value rate)` : "—",
    `${e.membersLeft === 0 ? "every bench group verified empty on the DC" : `${e.membersLeft} MEMBER(S) LEFT`}; ${sentinelNote(e)}`,
  ]);
  rows.push([
    "removal throughput (T → last removal)",
    rate(e.removalPerSecond, " changes/s"),
    r500 ? rate(r500.perSecond, " changes/s") : "—",
    `Interim: up to ${r.environment?.ldapModifyBatchSize ?? "?"} values per modify, one modify at a time; raw: 500 ${r500?.valueForm === "guid" ? "<GUID=…>" : "DN"} values per modify, one group of ${r.rawRemove?.groupSize ?? "?"}`,
  ]);
}
if (r.bulkExpiry) {
  const b = r.bulkExpiry;
  const raw = r.rawBulkShape;
  rows.push([
    `bulk: reconcile with ${b.reconcile.activeGrants} active grants`,
    ms(b.reconcile.seconds * 1000),
    "—",
    `one full pass over ${b.reconcile.groupsChecked} managed group(s); the ${b.grants} grants seeded active in ${b.seed.dbSeconds.toFixed(1)} s (rows, jobs, audit), memberships added at ${rate(b.seed.addsPerSecond, "/s")}`,
  ]);
  rows.push([
    `bulk: expiry lag, ${b.grants} grants due at one instant`,
    pct(b.lagMs),
    raw ? `${ms((b.grants / raw.batched.perSecond) * 1000)} (all ${b.grants} at the raw 500-value rate)` : "—",
    `${b.groups} groups of ${Math.ceil(b.grants / b.groups)}, T set ${b.update.leadSeconds} s ahead; ${b.removalBatches.length} removal transactions; ${b.membersLeft === 0 ? "every bulk group verified empty on the DC" : `${b.membersLeft} MEMBER(S) LEFT`}; ${sentinelNote(b)}`,
  ]);
  rows.push([
    "bulk: removal throughput (T → last removal)",
    `${rate(b.removalPerSecond, " changes/s")} (${ms(b.lastRemovalAfterTms)})`,
    raw ? `${rate(raw.batched.perSecond, " changes/s")} (500 <GUID=…> values per modify)` : "—",
    raw
      ? `Interim ÷ raw: ${ratio(b.removalPerSecond, raw.batched.perSecond)}; raw: the same ${raw.batched.values} removals from ${raw.groups} groups of ${raw.membersPerGroup}, group after group on one connection (p50 ${ms(raw.batched.modifyMs.p50)} per modify)`
      : "raw shape not measured",
  ]);
  if (raw) {
    rows.push([
      "bulk shape: raw removal, 1 value per modify",
      "—",
      rate(raw.single.perSecond, " changes/s"),
      `${raw.single.values} values sampled over the ${raw.groups} groups of ${raw.membersPerGroup}: all ${b.grants} would take ${ms((b.grants / raw.single.perSecond) * 1000)}`,
    ]);
  }
}
for (const [n, form] of [
  [1, "dn"],
  [50, "dn"],
  [500, "dn"],
  [500, "guid"],
] as const) {
  const m = modeOf(n, form);
  if (!m) continue;
  rows.push([
    `raw removal, ${n} ${form === "guid" ? "<GUID=…> " : ""}value${n === 1 ? "" : "s"} per modify`,
    "—",
    rate(m.perSecond, " changes/s"),
    `${m.values} values from a group of ${r.rawRemove!.groupSize}, ${m.modifies} modifies, p50 ${ms(m.modifyMs.p50)} per modify`,
  ]);
}
if (r.notifications) {
  const n = r.notifications;
  rows.push([
    "notifications: outbox event → mail accepted by SMTP",
    `${rate(n.mailsPerSecond, " mails/s")} (${n.mails} in ${n.seconds.toFixed(1)} s)`,
    `${rate(n.rawMailsPerSecond, " mails/s")} (nodemailer alone)`,
    `${n.events} events of the earlier phases, one observer address each, 4 send lanes over pooled SMTP connections, SMTP sink on loopback; raw column: ${n.rawMails} sends in 8 lanes, no database`,
  ]);
}
if (r.rawRemove) {
  rows.push([
    "raw add, 500 values per modify (fill)",
    "—",
    rate(r.rawRemove.fill.perSecond, " changes/s"),
    `filling the raw group with ${r.rawRemove.groupSize} members`,
  ]);
}

console.log("");
const env0 = r.environment;
console.log(
  `Interim bench ${runId.toISOString()} — node ${process.version}, ${env0?.samba ?? "samba ?"}, DCs: ${env0?.domainControllers.length ?? "?"} (${env0?.domainControllers.join(", ") ?? "?"}), ${ONLY ? `${ONLY} only` : `M=${M}, N=${N}, K=${K}, worker concurrency ${env0?.workerConcurrency ?? "?"}, expiry batch ${env0?.expiryBatchSize ?? "?"}`}`,
);
if (results.drift) rows.push(...(await import("./drift")).driftRows(results.drift as import("./drift").DriftBenchResult));
if (rows.length) console.log(table(["metric", "Interim", "raw ldapts", "notes"], rows));
if (r.sessions) {
  console.log(
    `\nRecorded SSH sessions (issue 14): the gateway in its own process; raw = ssh2 straight to ${process.env.SSH_TARGET_HOST}:${process.env.SSH_TARGET_PORT}, same account and password`,
  );
  console.log(table(["metric", "through the gateway", "direct ssh, same run", "notes"], sessionRows(r.sessions)));
  if (r.sessions.gatewayProblems.length) console.log(`gateway log, warnings and errors:\n  ${r.sessions.gatewayProblems.join("\n  ")}`);
}
for (const [what, e] of [
  ["expiry", r.expiry],
  ["bulk expiry", r.bulkExpiry],
] as const) {
  const b = e?.removalBatches ?? [];
  if (!b.length) continue;
  const shown = b
    .slice(0, 12)
    .map((x) => `+${ms(x.afterTms)}: ${x.grants} in ${x.groups} group(s)`)
    .join(", ");
  console.log(`\n${what} removal transactions (removed_at after T): ${shown}${b.length > 12 ? `, … ${b.length} in all` : ""}`);
}
if (r.expiry?.worker.jobsWithErrors) {
  const w = r.expiry.worker;
  console.log(
    `\njobs with errors during the run: ${w.jobsWithErrorsByTask.map((t) => `${t.task} ${t.n} (${t.failed} permanently failed, ${t.pending} to retry)`).join("; ")}`,
  );
  console.log(`  top errors:\n    ${w.sampleJobErrors.join("\n    ")}`);
}
const wl = results.workerLog as { lines: number; warnings: number; errors: number; top: { count: number; message: string }[] } | undefined;
if (wl?.errors || wl?.warnings) {
  const byPhase = results.workerErrorLinesByPhase as Record<string, number> | undefined;
  console.log(
    `worker log: ${wl.errors} error line(s)${byPhase ? ` (warm-up ${byPhase.warmup}, latency phase ${byPhase.grantLatency}, expiry phase ${byPhase.expiry}, bulk phase ${byPhase.bulkExpiry})` : ""}, ${wl.warnings} warning(s); most frequent:`,
  );
  for (const t of wl.top) console.log(`  ${String(t.count).padStart(5)}× ${t.message}`);
}

results.loadAverageAtEnd = os.loadavg().map((v) => Number(v.toFixed(2)));
const benchSeconds = (Date.now() - runId.getTime()) / 1000;
results.benchSeconds = benchSeconds;
console.log(
  `bench took ${(benchSeconds / 60).toFixed(1)} min; load average at start ${(env0 as { loadAverageAtStart?: number[] } | undefined)?.loadAverageAtStart?.join(" ") ?? "?"}, at end ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")} (${os.cpus().length} CPUs)`,
);
results.problems = problems;
results.ok = problems.length === 0;
results.startedAt = runId.toISOString();
results.finishedAt = new Date().toISOString();
if (fatal) results.fatal = fatal;
const outDir = path.resolve(import.meta.dirname, "results");
mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `${stamp}.json`);
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nresults: ${path.relative(process.cwd(), outFile)}`);

if (problems.length) {
  console.log(`\nFAILED (${problems.length} problem(s)):`);
  for (const p of problems) console.log(`  - ${p}`);
}
await closeDb().catch(() => {});
process.exit(problems.length ? 1 : 0);
