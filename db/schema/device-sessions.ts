import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { SessionRules } from "@/shared/sessions/settings-schema";
import { accessGroups } from "./access-groups";
import { catalogCredentials, catalogDevices } from "./catalog";
import { requests } from "./requests";
import { users } from "./users";

/*
 * Recorded sessions on devices (issue 14). A session is a request whose grants live exactly as
 * long as one connection: approved → the worker elevates the account (ordinary grants) and, for
 * a managed account, sets a fresh password → `ready` → a gateway connects (`live`) → ended
 * (exit, idle, maximum, grant ended, terminated) or interrupted (its gateway died) → the worker
 * ends the grants and rotates the password. Not to be confused with user_sessions (sign-ins).
 */
export const deviceSessionState = pgEnum("device_session_state", ["requested", "preparing", "ready", "live", "ended", "failed"]);

export const deviceSessions = pgTable(
  "device_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: uuid("request_id")
      .notNull()
      .unique()
      .references(() => requests.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    deviceId: uuid("device_id")
      .notNull()
      .references(() => catalogDevices.id),
    /** The catalog account the session logs in as; null: the person's own account. */
    credentialId: uuid("credential_id").references(() => catalogCredentials.id),
    accessGroupId: uuid("access_group_id").references(() => accessGroups.id, { onDelete: "set null" }),
    /** The login name on the device (sAMAccountName). */
    login: text("login").notNull(),
    /** Where the gateway connects, copied from the device at submission; the key is the pinned one. */
    host: text("host").notNull(),
    port: integer("port").notNull(),
    hostKeySha256: text("host_key_sha256").notNull(),
    state: deviceSessionState("state").notNull().default("requested"),
    /** The group's session settings when the session was asked for. */
    recording: boolean("recording").notNull().default(true),
    maxMinutes: integer("max_minutes").notNull(),
    idleMinutes: integer("idle_minutes").notNull(),
    rules: jsonb("rules").$type<SessionRules>().notNull(),
    /** Expected command patterns of the change (empty: none declared). */
    plannedActivity: text("planned_activity").array().notNull().default([]),
    /** A managed account's password for this session, sealed (server/sessions/managed-password.ts); wiped at the end. */
    passwordSealed: text("password_sealed"),
    passwordSetAt: timestamp("password_set_at", { withTimezone: true }),
    /** Set once the password has been changed again after the session (or nothing needed it). */
    passwordRotatedAt: timestamp("password_rotated_at", { withTimezone: true }),
    /** A one-time token for a native SSH client (hashed; shown once on /roles, valid minutes). */
    connectTokenHash: text("connect_token_hash"),
    connectTokenExpiresAt: timestamp("connect_token_expires_at", { withTimezone: true }),
    /** The gateway holding the connection and its last sign of life (a stale one means it died). */
    gateway: text("gateway"),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    connectedAt: timestamp("connected_at", { withTimezone: true }),
    /** connectedAt + maxMinutes, clipped to the grants' end. */
    endsAt: timestamp("ends_at", { withTimezone: true }),
    lastInputAt: timestamp("last_input_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** exit | idle | maximum | grant-ended | terminated | interrupted | host-key | failed | cancelled */
    endReason: text("end_reason"),
    endedBy: uuid("ended_by").references(() => users.id),
    error: text("error"),
    /** A command matched an alert rule or left the planned activity: someone should look. */
    flagged: boolean("flagged").notNull().default(false),
    recordingBytes: bigint("recording_bytes", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("device_sessions_user").on(t.userId, t.createdAt),
    index("device_sessions_created").on(t.createdAt),
    index("device_sessions_open")
      .on(t.state)
      .where(sql`state in ('requested', 'preparing', 'ready', 'live')`),
    index("device_sessions_rotation")
      .on(t.endedAt)
      .where(sql`password_rotated_at is null and ended_at is not null`),
  ],
);

/** asciicast v2 event lines of a session, flushed by the gateway at least every second. */
export const deviceSessionChunks = pgTable(
  "device_session_chunks",
  {
    sessionId: uuid("session_id")
      .notNull()
      .references(() => deviceSessions.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    /** Seconds since the session's start of the first and last event in the chunk. */
    firstAt: jsonb("first_at").$type<number>().notNull(),
    lastAt: jsonb("last_at").$type<number>().notNull(),
    data: text("data").notNull(),
    bytes: integer("bytes").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] })],
);

export const sessionCommandAction = pgEnum("session_command_action", ["allow", "alert", "block"]);

/** Every command of a session: typed lines as reconstructed, and `exec` requests exactly. */
export const deviceSessionCommands = pgTable(
  "device_session_commands",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => deviceSessions.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    /** Seconds since the session's start: where playback jumps to. */
    offset: jsonb("offset").$type<number>().notNull(),
    text: text("text").notNull(),
    source: text("source").notNull(),
    /** Tab completion or history recall touched the line: what ran may differ from what we saw. */
    uncertain: boolean("uncertain").notNull().default(false),
    action: sessionCommandAction("action").notNull().default("allow"),
    rule: text("rule"),
    deviation: boolean("deviation").notNull().default(false),
  },
  (t) => [index("device_session_commands_session").on(t.sessionId, t.seq), index("device_session_commands_at").on(t.at)],
);
