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
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
});

/** Every sign-in attempt, for throttling by user and by IP before AD sees a bad password. */
export const signinAttempts = pgTable(
  "signin_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    username: text("username").notNull(),
    ip: text("ip").notNull(),
    success: boolean("success").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("signin_attempts_username_at").on(t.username, t.at), index("signin_attempts_ip_at").on(t.ip, t.at)],
);
