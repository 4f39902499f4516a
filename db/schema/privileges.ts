import { boolean, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

export const grantMechanism = pgEnum("grant_mechanism", ["direct", "ttl", "temporary-group"]);

/** An AD group published for temporary membership. */
export const privileges = pgTable("privileges", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  groupDn: text("group_dn").notNull(),
  groupGuid: text("group_guid").notNull().unique(),
  groupSid: text("group_sid"),
  tags: text("tags").array().notNull().default([]),
  maxDurationMinutes: integer("max_duration_minutes").notNull(),
  defaultDurationMinutes: integer("default_duration_minutes").notNull(),
  allowExtension: boolean("allow_extension").notNull().default(false),
  /** With extensions, the longest a grant may run in total (null: maxDurationMinutes). */
  maxTotalMinutes: integer("max_total_minutes"),
  mechanism: grantMechanism("mechanism").notNull().default("direct"),
  enabled: boolean("enabled").notNull().default(true),
  createdBy: uuid("created_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
