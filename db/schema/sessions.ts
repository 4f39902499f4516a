import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * One row per sign-in: the JWT carries only its id (`sid`), so a session can be ended on the
 * server (an admin, the idle timeout, the absolute lifetime, an account AD disabled) and every
 * later call with that JWT is refused. `last_seen_at` moves at most once a minute.
 */
export const userSessions = pgTable(
  "user_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    /** created_at + INTERIM_SESSION_MAX_AGE_HOURS, fixed at sign-in. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** "signed-out" | "idle" | "expired" | "ended-by-admin" | "account-disabled" | … */
    endReason: text("end_reason"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("user_sessions_user").on(t.userId), index("user_sessions_open").on(t.endedAt, t.lastSeenAt)],
);
