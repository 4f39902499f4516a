import "server-only";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { desc, eq, lt, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { db } from "@/db";
import { workerHeartbeats } from "@/db/schema";
import type { Logger } from "pino";
import { appVersion } from "./version";

/** How often a worker says it is alive; readiness wants a heartbeat younger than HEARTBEAT_FRESH_SECONDS. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
export const HEARTBEAT_FRESH_SECONDS = 60;
/** A worker killed without its shutdown leaves its row: gone after a day. */
const PRUNE_AFTER = sql`interval '1 day'`;

export interface Heartbeat {
  id: string;
  /** Writes once more now (tests; the timer does it every HEARTBEAT_INTERVAL_MS). */
  beat(): Promise<void>;
  /** Stops the timer and deletes this worker's row. */
  stop(): Promise<void>;
}

/**
 * Starts this worker's heartbeat: a row written at once and then every ten seconds (an upsert, so a
 * row an operator deleted comes back), old rows of dead workers pruned on the way. A failed write
 * is logged and retried at the next tick: the database may be restarting.
 */
export async function startHeartbeat(log: Logger, opts: { concurrency: number }): Promise<Heartbeat> {
  const host = hostname();
  const id = `${host}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const row = { id, host, pid: process.pid, version: appVersion(), concurrency: opts.concurrency };
  const beat = async () => {
    await db
      .insert(workerHeartbeats)
      .values(row)
      .onConflictDoUpdate({ target: workerHeartbeats.id, set: { lastSeenAt: sql`now()` } });
    await db.delete(workerHeartbeats).where(lt(workerHeartbeats.lastSeenAt, sql`now() - ${PRUNE_AFTER}`));
  };
  await beat().catch((err: Error) => log.warn({ err: err.message }, "heartbeat not written"));
  const timer = setInterval(() => void beat().catch((err: Error) => log.warn({ err: err.message }, "heartbeat not written")), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    id,
    beat,
    async stop() {
      clearInterval(timer);
      await db
        .delete(workerHeartbeats)
        .where(eq(workerHeartbeats.id, id))
        .catch((err: Error) => log.warn({ err: err.message }, "heartbeat row not deleted"));
    },
  };
}

/** Every worker that wrote a heartbeat in the last day, freshest first, with its age in seconds. */
export async function workerStatuses(executor: Executor = db) {
  return executor
    .select({
      id: workerHeartbeats.id,
      host: workerHeartbeats.host,
      pid: workerHeartbeats.pid,
      version: workerHeartbeats.version,
      concurrency: workerHeartbeats.concurrency,
      startedAt: workerHeartbeats.startedAt,
      lastSeenAt: workerHeartbeats.lastSeenAt,
      ageSeconds: sql<number>`extract(epoch from now() - ${workerHeartbeats.lastSeenAt})::float8`,
    })
    .from(workerHeartbeats)
    .orderBy(desc(workerHeartbeats.lastSeenAt));
}
