import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * What the worker's continuous audit-chain check found (server/audit/watch.ts): one row per
 * problem, raised once (`key` is unique: the same broken link seen again after a restart is not a
 * new alert), shown on the admin overview until an admin acknowledges it.
 */
export const auditChainAlerts = pgTable(
  "audit_chain_alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** `<problem>:<seq>`, e.g. `hash-mismatch:42`, `checkpoint-row-missing:1000`. */
    key: text("key").notNull().unique(),
    problem: text("problem").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** One sentence for the banner and the notifications. */
    message: text("message").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedBy: uuid("acknowledged_by").references(() => users.id),
    /** Notifications: recipients already told (`mail:<address>`, `webhook:<id>`), tries so far, the last failure. */
    notified: jsonb("notified").$type<string[]>().notNull().default([]),
    notifyAttempts: integer("notify_attempts").notNull().default(0),
    notifiedAt: timestamp("notified_at", { withTimezone: true }),
    notifyError: text("notify_error"),
  },
  (t) => [
    index("audit_chain_alerts_open")
      .on(t.firstSeenAt)
      .where(sql`acknowledged_at is null`),
  ],
);
