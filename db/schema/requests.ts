import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import type { FrozenPolicy } from "@/shared/access-groups/frozen";
import { accessGroups } from "./access-groups";
import { catalogCredentials } from "./catalog";
import { privilegeSets } from "./privilege-sets";
import { privileges } from "./privileges";
import { users } from "./users";

export const requestKind = pgEnum("request_kind", ["access", "extension"]);

export const requestStatus = pgEnum("request_status", ["pending", "approved", "denied", "cancelled", "failed", "expired"]);

/**
 * What someone asked for. A request whose access group needs approval waits at level 1 of its
 * frozen policy; the last level's approval (or no approval needed) turns it into a grant.
 */
export const requests = pgTable(
  "requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** "extension": more time on the active grant `extendsGrantId`; durationMinutes is the time added. */
    kind: requestKind("kind").notNull().default("access"),
    extendsGrantId: uuid("extends_grant_id"),
    requesterId: uuid("requester_id")
      .notNull()
      .references(() => users.id),
    /** For a set request: the first of the set's privileges (by name), so readers of one privilege keep working. */
    privilegeId: uuid("privilege_id")
      .notNull()
      .references(() => privileges.id),
    /** A request for a privilege set: one grant per privilege in `setPrivilegeIds`, all or none. */
    privilegeSetId: uuid("privilege_set_id").references(() => privilegeSets.id),
    /** The set's privileges as they were at submission: what the approvers see and what is granted. */
    setPrivilegeIds: uuid("set_privilege_ids").array(),
    targetDn: text("target_dn").notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    justification: text("justification").notNull().default(""),
    changeId: text("change_id"),
    governanceCode: text("governance_code"),
    /** A privileged account from the catalog elevated instead of the requester's own account. */
    credentialId: uuid("credential_id").references(() => catalogCredentials.id),
    emergency: boolean("emergency").notNull().default(false),
    /** The access group that allowed the request; its policy as checked is frozen in `policy`. */
    accessGroupId: uuid("access_group_id").references(() => accessGroups.id, { onDelete: "set null" }),
    policy: jsonb("policy").$type<FrozenPolicy>(),
    locationCountry: text("location_country"),
    locationRegion: text("location_region"),
    /** The end of the group's time window at submission: the grant never runs past it. */
    windowEndsAt: timestamp("window_ends_at", { withTimezone: true }),
    /** A scheduled request: access starts then (null: as soon as granted). */
    startsAt: timestamp("starts_at", { withTimezone: true }),
    /** Submitted (or, scheduled, starting) outside the group's usual hours: flagged to approvers. */
    outsideUsualHours: boolean("outside_usual_hours").notNull().default(false),
    status: requestStatus("status").notNull().default("pending"),
    clientIp: text("client_ip"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    /** The approval level the request waits at (1-based; frozen levels in `policy`). */
    currentLevel: integer("current_level").notNull().default(1),
    /** Undecided by then, it expires (REQUEST_APPROVAL_TIMEOUT_HOURS). */
    approvalDeadline: timestamp("approval_deadline", { withTimezone: true }),
    /** An approver may shorten (never lengthen) the duration; the grant uses this when set. */
    approvedDurationMinutes: integer("approved_duration_minutes"),
    /** The denying approver's comment, or why it ended (cancelled, expired). */
    outcomeComment: text("outcome_comment"),
    /** Emergency requests are granted at once and flagged until an approver reviews them. */
    reviewedAt: timestamp("reviewed_at", { withTimezone: true }),
    reviewedBy: uuid("reviewed_by").references(() => users.id),
    reviewComment: text("review_comment"),
  },
  (t) => [
    index("requests_requester").on(t.requesterId, t.createdAt),
    index("requests_pending_deadline")
      .on(t.approvalDeadline)
      .where(sql`status = 'pending'`),
    index("requests_extends_grant")
      .on(t.extendsGrantId)
      .where(sql`extends_grant_id is not null`),
  ],
);

export const decisionKind = pgEnum("decision_kind", ["approve", "deny"]);

/** One approver's decision on one level of a request. */
export const requestDecisions = pgTable(
  "request_decisions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id),
    level: integer("level").notNull(),
    approverId: uuid("approver_id")
      .notNull()
      .references(() => users.id),
    approverGuid: text("approver_guid").notNull(),
    decision: decisionKind("decision").notNull(),
    comment: text("comment").notNull().default(""),
    durationMinutes: integer("duration_minutes"),
    decidedAt: timestamp("decided_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("request_decisions_once").on(t.requestId, t.level, t.approverGuid), index("request_decisions_approver").on(t.approverId, t.decidedAt)],
);
