import { bigserial, boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** A person who signed in at least once. Identity lives in AD; this row caches it. */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  username: text("username").notNull().unique(),
  dn: text("dn").notNull(),
  objectGuid: text("object_guid").notNull().unique(),
  displayName: text("display_name").notNull(),
  email: text("email"),
  isAdmin: boolean("is_admin").notNull().default(false),
  /** When admin membership was last read from AD (sessions re-check it every few minutes). */
  adminCheckedAt: timestamp("admin_checked_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
});

/**
 * Every sign-in attempt, for throttling by account and by IP before AD sees a bad password.
 * `account_key` is the account's objectGUID when it exists (so `u`, `DOMAIN\u` and UPNs share one
 * count), else the normalized name. An attempt is written as failed before the bind and turned
 * into a success after, so binds still in flight count too.
 */
export const signinAttempts = pgTable(
  "signin_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    accountKey: text("account_key").notNull(),
    username: text("username").notNull(),
    ip: text("ip").notNull(),
    success: boolean("success").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("signin_attempts_account_at").on(t.accountKey, t.at), index("signin_attempts_ip_at").on(t.ip, t.at)],
);
