import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per running worker process (server/ops/heartbeat.ts): written every few seconds, deleted
 * when the worker stops, and rows silent for a day are pruned (a SIGKILLed worker leaves its row).
 * Readiness wants one fresher than a minute; the administration overview lists them.
 */
export const workerHeartbeats = pgTable(
  "worker_heartbeats",
  {
    /** host:pid:random — unique per process, also across restarts that reuse a pid. */
    id: text("id").primaryKey(),
    host: text("host").notNull(),
    pid: integer("pid").notNull(),
    /** package.json's version and the build's git commit, or "dev". */
    version: text("version").notNull(),
    concurrency: integer("concurrency").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("worker_heartbeats_last_seen_idx").on(t.lastSeenAt)],
);
