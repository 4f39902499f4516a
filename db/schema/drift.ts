import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgEnum, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { privileges } from "./privileges";
import { users } from "./users";

/**
 * `standing`: a member of a managed group that no grant explains (added by hand in AD, or a
 * membership that pre-existed a grant). `outlived`: a membership whose latest grant has ended.
 */
export const driftKind = pgEnum("drift_kind", ["standing", "outlived"]);

/**
 * `removed`: Interim took the member out (automatically or by an admin). `gone`: the member left
 * the group some other way. `accepted`: an admin decided the standing membership may stay.
 */
export const driftResolution = pgEnum("drift_resolution", ["removed", "gone", "accepted"]);

/** What the reconcile does with standing access in a privilege's group. */
export const driftAction = pgEnum("drift_action", ["alert", "remove"]);

export type DriftMemberClass = "user" | "computer" | "group" | "other" | "unknown";

/**
 * A membership of a managed group that no grant explains, from the first reconcile that saw it
 * until it is gone. An accepted finding stays current (`cleared_at` null) while the member stays,
 * so the next run does not raise it again; when the member leaves, `cleared_at` ends the
 * acceptance, and a membership that comes back later is a new finding.
 */
export const driftFindings = pgTable(
  "drift_findings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    privilegeId: uuid("privilege_id")
      .notNull()
      .references(() => privileges.id, { onDelete: "cascade" }),
    groupGuid: text("group_guid").notNull(),
    groupDn: text("group_dn").notNull(),
    memberGuid: text("member_guid").notNull(),
    memberDn: text("member_dn").notNull(),
    /** sAMAccountName where the directory has one, else the CN. */
    memberName: text("member_name").notNull(),
    /** What kind of object the member is: a nested group is never removed automatically. */
    memberClass: text("member_class").$type<DriftMemberClass>().notNull(),
    kind: driftKind("kind").notNull(),
    /** Why the reconcile will not remove it on its own (nested group, Interim's service account…). */
    note: text("note"),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    resolution: driftResolution("resolution"),
    /** The admin who accepted or removed it; null when the reconcile did. */
    resolvedBy: uuid("resolved_by").references(() => users.id),
    /** When the membership was found gone or taken out; for an accepted finding, the end of the acceptance. */
    clearedAt: timestamp("cleared_at", { withTimezone: true }),
  },
  (t) => [
    // One current finding per membership. Every open finding (resolved_at null) is current, so
    // this also keeps open findings unique; accepted ones are held here too until the member leaves.
    uniqueIndex("drift_findings_current")
      .on(t.groupGuid, t.memberGuid)
      .where(sql`cleared_at is null`),
    index("drift_findings_open")
      .on(t.firstSeenAt)
      .where(sql`resolved_at is null`),
    index("drift_findings_resolved").on(t.resolvedAt),
    check("drift_findings_resolution", sql`(resolution is null) = (resolved_at is null)`),
  ],
);

/** Per privilege (one AD group each): alert only (the default, no row) or remove standing access. */
export const privilegeDriftSettings = pgTable("privilege_drift_settings", {
  privilegeId: uuid("privilege_id")
    .primaryKey()
    .references(() => privileges.id, { onDelete: "cascade" }),
  action: driftAction("action").notNull().default("alert"),
  updatedBy: uuid("updated_by").references(() => users.id),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export interface DriftCheckError {
  groupDn: string;
  error: string;
}

/**
 * The outcome of the latest reconcile (one row): when it last compared the directory, and the
 * groups it could not read — drift in those goes unseen, so the dashboard says so.
 */
export const driftLastCheck = pgTable(
  "drift_last_check",
  {
    id: smallint("id").primaryKey().default(1),
    checkedAt: timestamp("checked_at", { withTimezone: true }).notNull(),
    groupsChecked: integer("groups_checked").notNull(),
    errors: jsonb("errors").$type<DriftCheckError[]>().notNull().default([]),
  },
  () => [check("drift_last_check_single_row", sql`id = 1`)],
);

/**
 * Where the drift watcher (server/drift/watch.ts) stands in the directory's change stream (one
 * row): the DirSync cookie and the DC it came from (its dsServiceName). A cookie from another DC
 * is not resumed: the watcher starts over and the reconcile covers the gap.
 */
export const driftWatchState = pgTable(
  "drift_watch_state",
  {
    id: smallint("id").primaryKey().default(1),
    dc: text("dc").notNull(),
    /** base64 of the DirSync cookie. */
    cookie: text("cookie").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  () => [check("drift_watch_state_single_row", sql`id = 1`)],
);
