import "server-only";
import { sqlClient } from "@/db";

/*
 * Keeping two runs of a singleton job (reconcile, catalog sync) apart. A Postgres session
 * advisory lock on a reserved connection, rather than a graphile-worker named queue: Postgres
 * frees the lock the moment a killed worker's connection drops, while graphile-worker keeps a
 * dead worker's queue locked for four hours.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LockTimeoutError extends Error {}

/**
 * Runs `fn` holding the advisory lock `key`. Without `waitMs` it does not wait: when another
 * holder has it, returns `{ ran: false }` at once. With `waitMs` it polls until then and throws
 * LockTimeoutError.
 */
export async function withSessionLock<T>(
  key: number,
  fn: () => Promise<T>,
  opts: { waitMs?: number; pollMs?: number } = {},
): Promise<{ ran: true; value: T } | { ran: false }> {
  const conn = await sqlClient().reserve();
  try {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (;;) {
      const [row] = await conn<{ ok: boolean }[]>`select pg_try_advisory_lock(${key}::bigint) as ok`;
      if (row?.ok) break;
      if (opts.waitMs === undefined) return { ran: false };
      if (Date.now() > deadline) throw new LockTimeoutError(`lock ${key} still held after ${opts.waitMs} ms`);
      await sleep(opts.pollMs ?? 250);
    }
    try {
      return { ran: true, value: await fn() };
    } finally {
      // If the connection broke, Postgres has dropped the lock with it.
      await conn`select pg_advisory_unlock(${key}::bigint)`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}
