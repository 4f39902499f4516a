import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { NOTIFICATION_EVENTS } from "@/shared/notifications/schemas";
import { accessGroups } from "./access-groups";
import { grants } from "./grants";
import { requests } from "./requests";

export const notificationEvent = pgEnum("notification_event", NOTIFICATION_EVENTS);

/**
 * The outbox: one row per event, written in the transaction of the state change it reports (so
 * nothing is lost and nothing is sent for a change that rolled back). The dispatcher fans each
 * event out into deliveries and marks it dispatched.
 */
export const notificationEvents = pgTable(
  "notification_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    event: notificationEvent("event").notNull(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id),
    grantId: uuid("grant_id").references(() => grants.id),
    /** Event details not in the rows: the level that must decide, a comment, the actor. */
    data: jsonb("data").$type<{ level?: number; comment?: string; actor?: string; error?: string }>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
  },
  (t) => [
    index("notification_events_undispatched")
      .on(t.createdAt)
      .where(sql`dispatched_at is null`),
  ],
);

export const notificationChannel = pgEnum("notification_channel", ["email", "webhook"]);
/** queued → sending (a lease: a worker is sending it since claimed_at) → sent | queued again (retry) | failed. */
export const deliveryState = pgEnum("notification_delivery_state", ["queued", "sent", "failed", "sending"]);

/** One message to one recipient (an address or a webhook), retried with backoff until sent or failed. */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    eventId: uuid("event_id")
      .notNull()
      .references(() => notificationEvents.id),
    accessGroupId: uuid("access_group_id"),
    channel: notificationChannel("channel").notNull(),
    /** An email address, or the webhook's name. */
    recipient: text("recipient").notNull(),
    /** Webhooks: kind and URL as configured when the event was dispatched (admins only see them). */
    target: jsonb("target").$type<{ kind: string; url: string; webhookId?: string } | null>(),
    /** The rendered message (EmailMessage or the webhook body). */
    message: jsonb("message").notNull(),
    state: deliveryState("state").notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** When a worker took it for sending; a lease that lapses (the worker died) is taken again. */
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("notification_deliveries_due")
      .on(t.nextAttemptAt)
      .where(sql`state = 'queued'`),
    index("notification_deliveries_group").on(t.accessGroupId, t.createdAt),
    index("notification_deliveries_event").on(t.eventId),
  ],
);

/**
 * Each webhook's signing secret (server/notifications/webhook-secrets.ts), AES-256-GCM under a key
 * derived from INTERIM_WEBHOOK_KEY (or NEXTAUTH_SECRET): a copy of the database alone cannot sign.
 * Kept out of access_groups.notifications, which the Notifications tab reads back whole.
 */
export const webhookSecrets = pgTable(
  "webhook_secrets",
  {
    accessGroupId: uuid("access_group_id")
      .notNull()
      .references(() => accessGroups.id, { onDelete: "cascade" }),
    /** The webhook's id in access_groups.notifications.webhooks. */
    webhookId: uuid("webhook_id").notNull(),
    /** base64url(iv ‖ tag ‖ ciphertext); the group and webhook ids are its associated data. */
    sealed: text("sealed").notNull(),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accessGroupId, t.webhookId] })],
);
