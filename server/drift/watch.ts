import "server-only";
import { ResultCodeError, type Client } from "ldapts";
import type { Logger } from "pino";
import type postgres from "postgres";
import { db } from "@/db";
import { ServiceConnection } from "@/server/directory/connection";
import { errorText } from "@/server/grants/error-text";
import { reconcileGroups } from "@/server/grants/reconcile";
import { enqueue, jobKeys } from "@/server/jobs/enqueue";
import { LockLost, startLeaderLoop, type LeaderLoop, type Leading } from "@/server/jobs/leader";
import { readGroupChanges, serverIdentity } from "./dirsync";

/*
 * The drift watcher: notices within a second or two that a managed group changed in AD, and runs
 * the reconcile's check (drift findings, the group's drift action, re-adds) for that group only.
 * The minute's full reconcile stays the fallback for anything it misses (watcher off, DC down).
 *
 * One leader among the workers: the one holding a session advisory lock, on a connection of its
 * own that also stores the cookie, so a leader whose connection broke stops at its next write
 * while Postgres hands the lock to a standby. The cookie survives restarts (drift_watch_state):
 * a new leader resumes where the last one stopped. A cookie of another DC, or one the DC refuses,
 * is not resumed: the watcher takes a new baseline and queues a full reconcile for the gap.
 */

const WATCH_LOCK = 0x1a7e_d51f;
const MAX_BACKOFF_MS = 30_000;
/** A failure that goes on is logged again this often (a new kind of failure at once). */
const REPEAT_WARNING_MS = 60_000;

export interface DriftWatchOptions {
  /** Between two questions to the DC. */
  intervalMs: number;
  /** A standby tries to become the leader this often. */
  standbyMs?: number;
}

export type DriftWatch = LeaderLoop;

interface Stored {
  dc: string;
  cookie: Buffer;
}

export function startDriftWatch(log: Logger, opts: DriftWatchOptions): DriftWatch {
  return startLeaderLoop(
    {
      lockKey: WATCH_LOCK,
      log,
      name: "drift watch",
      lostDatabase: "lost the database; the minute's reconcile still runs",
      standbyMs: opts.standbyMs ?? 5_000,
      maxBackoffMs: MAX_BACKOFF_MS,
    },
    (leading) => lead(log, opts, leading),
  );
}

/** Polls the DC while this worker leads; returns when stopped, throws LockLost when the lock's connection broke. */
async function lead(log: Logger, opts: DriftWatchOptions, { conn, onLock, nap, stopped }: Leading) {
  const ldap = new ServiceConnection();
  let server: { client: Client; dc: string } | undefined;
  let stored = await onLock(() => loadState(conn));
  let failing: { text: string; at: number } | null = null;
  let backoff = 0;
  try {
    while (!stopped()) {
      try {
        const guids = (await onLock(() => conn<{ guid: string }[]>`select lower(group_guid) as guid from privileges`)).map((r) => r.guid);
        if (guids.length) {
          const batch = await ldap.run("Drift watch", async (client) => {
            if (server?.client !== client) server = { client, dc: await serverIdentity(client) };
            const resume = stored?.dc === server.dc ? stored.cookie : Buffer.alloc(0);
            if (resume.length) {
              try {
                return { ...(await readGroupChanges(client, guids, resume)), dc: server.dc, baseline: false };
              } catch (err) {
                // Not a network failure: the DC refuses this cookie (restored, or from another DC). Start over.
                if (!(err instanceof ResultCodeError)) throw err;
                log.warn({ err: errorText(err) }, "drift watch: the directory refused the stored cookie; taking a new baseline");
              }
            }
            return { ...(await readGroupChanges(client, guids, Buffer.alloc(0))), dc: server.dc, baseline: true };
          });
          if (batch.baseline) {
            // The baseline lists every group, changed or not: what changed before it is the full reconcile's.
            await enqueue(db, "grants__reconcile", {}, { jobKey: jobKeys.reconcile(), maxAttempts: 1 });
            log.info({ dc: batch.dc, groups: guids.length }, "drift watch: new baseline; full reconcile queued");
          } else if (batch.changed.size) {
            const r = await reconcileGroups([...batch.changed]);
            const acted = r.driftFound || r.standingRemoved || r.orphansRemoved || r.reapplied;
            (acted ? log.info : log.debug).call(log, { groups: r.groupsChecked, ...pick(r) }, "drift watch: changed groups checked");
          }
          // Only after the checks: a failed one is asked again from the same cookie.
          if (!stored || stored.dc !== batch.dc || !stored.cookie.equals(batch.cookie)) {
            const next = { dc: batch.dc, cookie: batch.cookie };
            await onLock(() => saveState(conn, next));
            stored = next;
          }
        }
        if (failing) log.info({ after: failing.text }, "drift watch: working again");
        failing = null;
        backoff = 0;
      } catch (err) {
        if (err instanceof LockLost) throw err;
        const text = errorText(err);
        if (!failing || failing.text !== text || Date.now() - failing.at >= REPEAT_WARNING_MS) {
          log.warn({ err: text }, "drift watch: check failed; retrying with backoff (the minute's reconcile still runs)");
          failing = { text, at: Date.now() };
        }
        backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : opts.intervalMs);
        server = undefined;
      }
      await nap(backoff || opts.intervalMs);
    }
  } finally {
    await ldap.reset({ keepRefusal: true });
  }
}

const pick = (r: { driftFound: number; standingRemoved: number; orphansRemoved: number; reapplied: number }) => ({
  driftFound: r.driftFound,
  standingRemoved: r.standingRemoved,
  orphansRemoved: r.orphansRemoved,
  reapplied: r.reapplied,
});

async function loadState(conn: postgres.ReservedSql): Promise<Stored | undefined> {
  const [row] = await conn<{ dc: string; cookie: string }[]>`select dc, cookie from drift_watch_state where id = 1`;
  return row ? { dc: row.dc, cookie: Buffer.from(row.cookie, "base64") } : undefined;
}

async function saveState(conn: postgres.ReservedSql, s: Stored) {
  const cookie = s.cookie.toString("base64");
  await conn`insert into drift_watch_state (id, dc, cookie, updated_at) values (1, ${s.dc}, ${cookie}, now())
    on conflict (id) do update set dc = excluded.dc, cookie = excluded.cookie, updated_at = now()`;
}
