import "server-only";
import type { Logger } from "pino";
import type postgres from "postgres";
import { sqlClient } from "@/db";
import { errorText } from "@/server/grants/error-text";

/*
 * A loop that one worker at a time runs (the drift watcher, the SIEM export): the leader holds a
 * session advisory lock on a connection of its own, which it also uses for every read and write
 * of its state, so a leader whose connection broke fails its next query (LockLost) while Postgres
 * hands the lock to a standby. Standbys try again every `standbyMs`; a database that does not
 * answer is retried with backoff up to `maxBackoffMs`.
 */

export class LockLost extends Error {}

export interface Leading {
  /** The lock's connection: run the leader's queries through `onLock`. */
  conn: postgres.ReservedSql;
  /** Runs a query on the lock's connection; its failure means the lock is gone (LockLost). */
  onLock: <T>(q: () => Promise<T>) => Promise<T>;
  /** Sleeps `ms`, or less when the loop is stopped. */
  nap: (ms: number) => Promise<void>;
  stopped: () => boolean;
}

export interface LeaderLoop {
  stop: () => Promise<void>;
  leading: () => boolean;
}

export interface LeaderOptions {
  lockKey: number;
  log: Logger;
  /** "drift watch", "siem export": the start of its log lines. */
  name: string;
  /** Logged (once per outage) when the database does not answer. */
  lostDatabase: string;
  standbyMs: number;
  maxBackoffMs: number;
}

/** Runs `lead` whenever this process holds the lock, until `stop`. `lead` returns when stopped, or throws LockLost. */
export function startLeaderLoop(opts: LeaderOptions, lead: (l: Leading) => Promise<void>): LeaderLoop {
  let stopped = false;
  let isLeader = false;
  let wake: (() => void) | undefined;
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      let conn: postgres.ReservedSql | undefined;
      try {
        conn = await sqlClient().reserve();
        const [row] = await conn<{ ok: boolean }[]>`select pg_try_advisory_lock(${opts.lockKey}::bigint) as ok`;
        failures = 0;
        if (row?.ok) {
          isLeader = true;
          opts.log.info(`${opts.name}: leading`);
          const held = conn;
          const onLock = async <T>(q: () => Promise<T>) => {
            try {
              return await q();
            } catch (err) {
              throw new LockLost(errorText(err), { cause: err });
            }
          };
          try {
            await lead({ conn: held, onLock, nap, stopped: () => stopped });
          } finally {
            isLeader = false;
            await conn`select pg_advisory_unlock(${opts.lockKey}::bigint)`.catch(() => {});
          }
        }
      } catch (err) {
        if (failures++ === 0) opts.log.warn({ err: errorText(err) }, `${opts.name}: ${opts.lostDatabase}`);
      } finally {
        conn?.release();
      }
      await nap(failures ? Math.min(opts.maxBackoffMs, 1000 * 2 ** failures) : opts.standbyMs);
    }
  })();

  return {
    leading: () => isLeader,
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
