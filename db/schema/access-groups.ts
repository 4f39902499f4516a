import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import type { Criteria, GroupSettings, Limits, LocationPolicy } from "@/shared/access-groups/policy-schemas";
import type { NotificationSettings } from "@/shared/notifications/schemas";
import type { SessionSettings } from "@/shared/sessions/settings-schema";
import { users } from "./users";

/**
 * An access group: the policy unit (senhasegura's access group + Domum's internal-user group).
 * Each tab of the dashboard owns one part: settings (columns + `settings`), criteria, users
 * (access_group_members / access_group_activations), approvers (access_group_approvers +
 * access_group_levels), limits and locations. The jsonb parts are always written through the
 * zod schemas in shared/access-groups/policy-schemas.ts.
 */
export const accessGroups = pgTable("access_groups", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  enabled: boolean("enabled").notNull().default(true),
  timeZone: text("time_zone").notNull().default("UTC"),
  settings: jsonb("settings").$type<GroupSettings>().notNull(),
  criteria: jsonb("criteria").$type<Criteria>().notNull(),
  limits: jsonb("limits").$type<Limits>().notNull(),
  locations: jsonb("locations").$type<LocationPolicy>().notNull(),
  /** Notifications tab: who hears about what (shared/notifications/schemas.ts). */
  notifications: jsonb("notifications")
    .$type<NotificationSettings>()
    .notNull()
    .default(sql`'{}'::jsonb`),
  /** Sessions tab: remote sessions on the devices the criteria select (shared/sessions/settings-schema.ts). */
  sessions: jsonb("sessions")
    .$type<SessionSettings>()
    .notNull()
    .default(sql`'{}'::jsonb`),
  /** Bumped on every change; forms send it back so a stale tab cannot overwrite a newer edit. */
  version: integer("version").notNull().default(1),
  createdBy: uuid("created_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const accessGroupMemberKind = pgEnum("access_group_member_kind", ["user", "group"]);

/** Users tab: individual AD users and AD groups (whose nested members belong to the access group). */
export const accessGroupMembers = pgTable(
  "access_group_members",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    groupId: uuid("group_id")
      .notNull()
      .references(() => accessGroups.id, { onDelete: "cascade" }),
    kind: accessGroupMemberKind("kind").notNull(),
    objectGuid: text("object_guid").notNull(),
    /** AD groups are matched against the user's tokenGroups SIDs (nested membership included). */
    objectSid: text("object_sid"),
    dn: text("dn").notNull(),
    /** sAMAccountName (users) or cn (groups), for display. */
    name: text("name").notNull(),
    displayName: text("display_name").notNull().default(""),
    addedBy: uuid("added_by").references(() => users.id),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("access_group_members_unique").on(t.groupId, t.objectGuid)],
);

export const accessGroupActivationState = pgEnum("access_group_activation_state", ["active", "pending", "suspended"]);

/**
 * Whether a person who belongs to a group (directly or through an AD group) may use it. Without
 * "automatically grant access on provisioning" a new member starts `pending` until an admin
 * activates them; `suspended` is an admin taking it away again without editing AD.
 */
export const accessGroupActivations = pgTable(
  "access_group_activations",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => accessGroups.id, { onDelete: "cascade" }),
    userGuid: text("user_guid").notNull(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull().default(""),
    state: accessGroupActivationState("state").notNull(),
    /** "auto" (group setting), "admin" (decided by decidedBy), "provisioned" (first seen, waiting). */
    source: text("source").notNull(),
    decidedBy: uuid("decided_by").references(() => users.id),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userGuid] })],
);

/** Approvers tab: who approves, at which level of the hierarchy (1 decides first). */
export const accessGroupApprovers = pgTable(
  "access_group_approvers",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => accessGroups.id, { onDelete: "cascade" }),
    userGuid: text("user_guid").notNull(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull().default(""),
    dn: text("dn").notNull(),
    level: integer("level").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userGuid] }), index("access_group_approvers_user").on(t.userGuid)],
);

/** How many approvals each level needs before the request moves on. */
export const accessGroupLevels = pgTable(
  "access_group_levels",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => accessGroups.id, { onDelete: "cascade" }),
    level: integer("level").notNull(),
    requiredApprovals: integer("required_approvals").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.level] })],
);
