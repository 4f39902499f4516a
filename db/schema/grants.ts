import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { grantMechanism, privileges } from "./privileges";
import { requests } from "./requests";
import { users } from "./users";

/**
 * pending → provisioning → replicating → active → expiring → expired | revoked; failed after retries.
 * `replicating`: in the directory, waiting until the replication settings say every DC has it
 * (skipped when there is nothing to wait for). `expiring` is a lease: a worker claimed the removal
 * at `claimed_at`; a lapsed lease is retaken.
 */
export const grantState = pgEnum("grant_state", ["pending", "provisioning", "replicating", "active", "expiring", "expired", "revoked", "failed"]);

export const grantEndReason = pgEnum("grant_end_reason", ["expired", "revoked", "ended_early"]);

/** One DC's view of a grant's latest change (the add, then the removal). */
export interface DcReplicationState {
  host: string;
  /** When a check first found the change on this DC. */
  seenAt: string | null;
  /** Why the last check of this DC failed (unreachable, refused…). */
  error: string | null;
}

/** How the latest change of a grant spread over the DCs (server/grants/replication.ts). */
export interface GrantReplication {
  phase: "add" | "remove";
  dcs: DcReplicationState[];
  /** Set once the change counts as done everywhere; `unconfirmed` lists DCs that never showed it. */
  settled?: { at: string; by: "verified" | "latency" | "verified+latency" | "max-wait" | "superseded"; unconfirmed: string[] };
}

/** One membership to create in AD and to remove again. */
export const grants = pgTable(
  "grants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    privilegeId: uuid("privilege_id")
      .notNull()
      .references(() => privileges.id),
    mechanism: grantMechanism("mechanism").notNull().default("direct"),
    // The GUIDs are what the worker writes with (`<GUID=…>` values survive renames and moves);
    // the DNs are for people reading the dashboard.
    memberGuid: text("member_guid").notNull(),
    memberDn: text("member_dn").notNull(),
    groupGuid: text("group_guid").notNull(),
    groupDn: text("group_dn").notNull(),
    /** Mechanism temporary-group: the per-grant group (in TEMP_GROUP_OU) nested into the target, deleted at the end. */
    tempGroupGuid: text("temp_group_guid"),
    tempGroupDn: text("temp_group_dn"),
    /** The account was already a member when the grant began: expiry leaves that membership alone. */
    preExisting: boolean("pre_existing").notNull().default(false),
    state: grantState("state").notNull().default("pending"),
    durationSeconds: integer("duration_seconds").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Scheduled: the activation job runs then, and the claim refuses to start earlier. */
    startsAt: timestamp("starts_at", { withTimezone: true }),
    activatedAt: timestamp("activated_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    /** The access group's window end: activation clips expires_at to it. */
    notAfter: timestamp("not_after", { withTimezone: true }),
    /** Minutes added by extensions so far. */
    extendedMinutes: integer("extended_minutes").notNull().default(0),
    /** The expires_at the "expiring soon" warning was sent for (an extension makes it due again). */
    warnedFor: timestamp("warned_for", { withTimezone: true }),
    removedAt: timestamp("removed_at", { withTimezone: true }),
    /**
     * When the removal was confirmed on every DC (or counted done by the replication settings).
     * Null after a removal means "removing — still on some DC"; set at once where nothing needs checking.
     */
    removalVerifiedAt: timestamp("removal_verified_at", { withTimezone: true }),
    replication: jsonb("replication").$type<GrantReplication>(),
    endReason: grantEndReason("end_reason"),
    endedBy: uuid("ended_by").references(() => users.id),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    /** Fences a claim: follow-up writes of a worker only apply while its token is still the grant's. */
    claimToken: uuid("claim_token"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("grants_due")
      .on(t.expiresAt)
      .where(sql`state in ('active', 'expiring')`),
    index("grants_user").on(t.userId, t.createdAt),
    index("grants_group_member").on(t.groupGuid, t.memberGuid),
    index("grants_state").on(t.state),
    index("grants_request").on(t.requestId),
    // One live grant per account and AD group (issue 13): a second would be removed by the first's
    // expiry, or keep the account in after it. The states are LIVE_GRANT_STATES (server/grants/states.ts);
    // tests/integration/one-live-grant.test.ts checks the two lists agree. For a temporary-group
    // grant, group_guid is the target group the per-grant group is nested into.
    uniqueIndex("grants_one_live_per_account_group")
      .on(sql`lower(${t.memberGuid})`, sql`lower(${t.groupGuid})`)
      .where(sql`state in ('pending', 'provisioning', 'replicating', 'active', 'expiring')`),
    // Removals the replication check still follows (few at any time).
    index("grants_removal_unverified")
      .on(t.removedAt)
      .where(sql`removal_verified_at is null and activated_at is not null and state in ('expired', 'revoked')`),
  ],
);
