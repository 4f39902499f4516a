/**
 * Drift detection delay (issue 15 item 9): a member added to a managed group outside Interim (the
 * domain admin's own LDAP connection) → the drift finding in the database, with the real worker and
 * its DirSync watcher; next to the cron-only figure (the minute's full reconcile: its interval plus
 * one timed pass, and optionally measured with the watcher off).
 *
 * Its own group "JIT Bench Drift" (recreated every run: no deactivated links) and user
 * bench-drift-stray in OU=Bench.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { db } from "@/db";
import { driftFindings, driftLastCheck, driftWatchState } from "@/db/schema";
import { guidToString } from "@/server/directory/binary";
import { findUser } from "@/server/directory/service";
import { env } from "@/server/env";
import { reconcile } from "@/server/grants/reconcile";
import { publishPrivilege } from "@/server/privileges/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { addIfMissing, adminClient, modifyMembers, safeUnbind } from "./lib/ldap";
import { log, ms, sleep, summarize, type Summary } from "./lib/stats";
import type { WorkerControl } from "./lib/worker";
import { benchOu, privilegesOu } from "./setup";

const GROUP = "JIT Bench Drift";
const STRAY = "bench-drift-stray";
const CRON_INTERVAL_MS = 60_000;
const WATCH_TIMEOUT_MS = 10_000;
const POLL_MS = 10;

export interface DriftBenchResult {
  samples: number;
  watchIntervalMs: number;
  /** Member added (the modify returned) → open finding in the database, with the watcher. */
  watcherMs: Summary;
  /** Member removed → its finding resolved as gone (the same watcher, the other direction). */
  goneMs: Summary;
  cron: {
    intervalMs: number;
    /** One full reconcile over every published group, timed in-process. */
    reconcilePassMs: number;
    groups: number;
    /** Measured with INTERIM_DRIFT_WATCH=off (BENCH_DRIFT_CRON_SAMPLES > 0). */
    measuredMs: Summary | null;
  };
}

async function freshGroup(admin: Client): Promise<{ dn: string; guid: string }> {
  const dn = `CN=${GROUP},${privilegesOu()}`;
  await admin.del(dn).catch(() => {});
  await admin.add(dn, { objectClass: ["top", "group"], sAMAccountName: GROUP, groupType: "-2147483646", description: "Interim benchmark: drift detection" });
  const { searchEntries } = await admin.search(dn, { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] });
  return { dn, guid: guidToString(searchEntries[0]!.objectGUID as Buffer) };
}

/** Waits for `check` (polling the database); the elapsed ms since `from`, or null at the timeout. */
async function until(check: () => Promise<boolean>, from: number, timeoutMs: number): Promise<number | null> {
  for (;;) {
    if (await check()) return performance.now() - from;
    if (performance.now() - from > timeoutMs) return null;
    await sleep(POLL_MS);
  }
}

export async function driftBench(worker: WorkerControl, opts: { samples: number; cronSamples: number }, problems: string[]): Promise<DriftBenchResult> {
  const admin = await adminClient();
  const savedWatch = process.env.INTERIM_DRIFT_WATCH;
  try {
    await addIfMissing(admin, benchOu(), { objectClass: ["top", "organizationalUnit"], ou: "Bench" });
    const strayDn = `CN=${STRAY},${benchOu()}`;
    await addIfMissing(admin, strayDn, { objectClass: ["top", "person", "organizationalPerson", "user"], sAMAccountName: STRAY, userAccountControl: "544" });
    const group = await freshGroup(admin);
    const carol = await findUser("carol");
    if (!carol) throw new Error("admin carol not found (scripts/ad-up.sh seeds it)");
    const boss = await upsertDirectoryUser(db, carol, true, false);
    const stamp = Date.now().toString(36);
    await publishPrivilege(
      boss,
      { type: "user", id: boss.id, name: `${boss.username} (bench)` },
      {
        groupGuid: group.guid,
        name: `Bench drift ${stamp}`,
        description: "",
        maxDurationMinutes: 60,
        defaultDurationMinutes: 5,
        allowExtension: false,
        tags: ["bench"],
      },
    );

    const openFinding = async () =>
      (
        await db
          .select({ id: driftFindings.id })
          .from(driftFindings)
          .where(
            and(eq(driftFindings.groupGuid, group.guid), isNull(driftFindings.clearedAt), sql`lower(${driftFindings.memberDn}) = ${strayDn.toLowerCase()}`),
          )
      ).length > 0;
    const allCleared = async () => !(await openFinding());

    // The cron's side: one full pass, in-process, the worker stopped.
    await worker.stop();
    const t = performance.now();
    const pass = await reconcile();
    const reconcilePassMs = performance.now() - t;

    // The watcher's side: the real worker, from a fresh baseline.
    await db.delete(driftWatchState);
    process.env.INTERIM_DRIFT_WATCH = "dirsync";
    worker.start();
    if ((await until(async () => (await db.select().from(driftWatchState)).length > 0, performance.now(), 60_000)) === null) {
      throw new Error("the worker's drift watcher took no baseline within 60 s");
    }
    const found: number[] = [];
    const gone: number[] = [];
    log(`drift: ${opts.samples} members added outside Interim, the worker's watcher polling every ${env.INTERIM_DRIFT_WATCH_INTERVAL_MS} ms …`);
    for (let i = 0; i < opts.samples; i++) {
      worker.assertAlive();
      await modifyMembers(admin, "add", group.dn, [strayDn]);
      const added = performance.now();
      const f = await until(openFinding, added, WATCH_TIMEOUT_MS);
      if (f === null) problems.push(`drift: try ${i + 1}: no finding ${WATCH_TIMEOUT_MS / 1000} s after the add`);
      else found.push(f);
      await modifyMembers(admin, "delete", group.dn, [strayDn]);
      const removed = performance.now();
      const g = await until(allCleared, removed, WATCH_TIMEOUT_MS);
      if (g === null) problems.push(`drift: try ${i + 1}: the finding still open ${WATCH_TIMEOUT_MS / 1000} s after the removal`);
      else gone.push(g);
      // Spread the adds over the poll interval instead of always landing just after a poll.
      await sleep(Math.random() * env.INTERIM_DRIFT_WATCH_INTERVAL_MS);
    }

    let measuredMs: Summary | null = null;
    if (opts.cronSamples > 0) {
      log(`drift: ${opts.cronSamples} more with the watcher off (the minute's cron alone; up to a minute each) …`);
      await worker.stop();
      process.env.INTERIM_DRIFT_WATCH = "off";
      const started = new Date();
      worker.start();
      // The worker's start-up reconcile first: the measurement is the cron's.
      await until(
        async () =>
          (
            await db
              .select()
              .from(driftLastCheck)
              .where(sql`${driftLastCheck.checkedAt} > ${started}`)
          ).length > 0,
        performance.now(),
        60_000,
      );
      const cron: number[] = [];
      for (let i = 0; i < opts.cronSamples; i++) {
        await modifyMembers(admin, "add", group.dn, [strayDn]);
        const f = await until(openFinding, performance.now(), CRON_INTERVAL_MS + 30_000);
        if (f === null) problems.push(`drift (cron only): try ${i + 1}: no finding within ${(CRON_INTERVAL_MS + 30_000) / 1000} s`);
        else cron.push(f);
        await modifyMembers(admin, "delete", group.dn, [strayDn]);
        await until(allCleared, performance.now(), CRON_INTERVAL_MS + 30_000);
      }
      measuredMs = summarize(cron);
    }
    await worker.stop();
    return {
      samples: opts.samples,
      watchIntervalMs: env.INTERIM_DRIFT_WATCH_INTERVAL_MS,
      watcherMs: summarize(found),
      goneMs: summarize(gone),
      cron: { intervalMs: CRON_INTERVAL_MS, reconcilePassMs, groups: pass.groupsChecked, measuredMs },
    };
  } finally {
    if (savedWatch === undefined) delete process.env.INTERIM_DRIFT_WATCH;
    else process.env.INTERIM_DRIFT_WATCH = savedWatch;
    await modifyMembers(admin, "delete", `CN=${GROUP},${privilegesOu()}`, [`CN=${STRAY},${benchOu()}`]).catch(() => {});
    await safeUnbind(admin);
  }
}

/** The bench table's rows for this phase. */
export function driftRows(d: DriftBenchResult): string[][] {
  const w = d.watcherMs;
  const cronNote = d.cron.measuredMs?.n
    ? `measured with the watcher off: p50 ${ms(d.cron.measuredMs.p50)} · max ${ms(d.cron.measuredMs.max)} (${d.cron.measuredMs.n} tries)`
    : `cron only: up to ${ms(d.cron.intervalMs)} (p50 ≈ ${ms(d.cron.intervalMs / 2)}) + a full reconcile pass of ${ms(d.cron.reconcilePassMs)} over ${d.cron.groups} group(s)`;
  return [
    [
      "drift detected (member added outside Interim → finding)",
      `p50 ${ms(w.p50)} · max ${ms(w.max)}`,
      "—",
      `${w.n} tries, DirSync watcher polling every ${ms(d.watchIntervalMs)}; ${cronNote}`,
    ],
    ["drift cleared (member removed → finding gone)", `p50 ${ms(d.goneMs.p50)} · max ${ms(d.goneMs.max)}`, "—", `${d.goneMs.n} tries, same watcher`],
  ];
}
