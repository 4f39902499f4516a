import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { users } from "./users";

/*
 * The catalog access-group criteria select from. Rows with source "directory" are kept in step
 * with AD by the catalog sync (computers and privileged accounts under configured OUs); admins
 * add tags and websites to them and create "manual" rows for what AD does not know.
 */

export const catalogSource = pgEnum("catalog_source", ["directory", "manual"]);

export const catalogDevices = pgTable(
  "catalog_devices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** Product/model, e.g. AD's operatingSystem ("Windows Server 2022") or "MySQL". */
    model: text("model").notNull().default(""),
    type: text("type").notNull().default(""),
    tags: text("tags").array().notNull().default([]),
    website: text("website"),
    /** AD's dNSHostName: the default host of the device's SSH endpoint. */
    dnsHostName: text("dns_host_name"),
    /** SSH endpoint (issue 14): host (null: dnsHostName) and port; sessions need a pinned host key. */
    sshEnabled: boolean("ssh_enabled").notNull().default(false),
    sshHost: text("ssh_host"),
    sshPort: integer("ssh_port").notNull().default(22),
    /** The OpenSSH "SHA256:…" fingerprint an admin confirmed; a different key refuses the session. */
    hostKeySha256: text("host_key_sha256"),
    hostKeyConfirmedBy: uuid("host_key_confirmed_by").references(() => users.id),
    hostKeyConfirmedAt: timestamp("host_key_confirmed_at", { withTimezone: true }),
    /** The key last seen by a scan, waiting for an admin to confirm it. */
    hostKeySeen: text("host_key_seen"),
    hostKeySeenAt: timestamp("host_key_seen_at", { withTimezone: true }),
    source: catalogSource("source").notNull(),
    objectGuid: text("object_guid"),
    dn: text("dn"),
    /** False once a synced object is gone from AD (kept for the record, matched by nothing). */
    present: boolean("present").notNull().default(true),
    syncedAt: timestamp("synced_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("catalog_devices_guid")
      .on(t.objectGuid)
      .where(sql`object_guid is not null`),
    index("catalog_devices_name").on(t.name),
  ],
);

/** Privileged accounts a requester may elevate instead of their own. */
export const catalogCredentials = pgTable(
  "catalog_credentials",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull().default(""),
    type: text("type").notNull().default(""),
    tags: text("tags").array().notNull().default([]),
    /** Devices the account belongs to (AD: userWorkstations), by device name. */
    deviceNames: text("device_names").array().notNull().default([]),
    source: catalogSource("source").notNull(),
    objectGuid: text("object_guid"),
    dn: text("dn"),
    present: boolean("present").notNull().default(true),
    /**
     * The person the account belongs to (separation of duties: nobody approves access to an account
     * they own, and others may not ask for it unless their access group allows it). From AD's
     * managedBy or manager (source "directory", kept in step by the sync) or set by an admin
     * (source "manual", which the sync leaves alone). The DN is kept even when it resolves to no
     * person (guid null): such an account still counts as owned by someone else.
     */
    ownerDn: text("owner_dn"),
    ownerGuid: text("owner_guid"),
    /** The owner's sAMAccountName (lower-cased), for people reading the catalog. */
    ownerName: text("owner_name"),
    ownerSource: catalogSource("owner_source"),
    /** Interim sets a fresh random password before each session and again after it (issue 14). */
    managed: boolean("managed").notNull().default(false),
    syncedAt: timestamp("synced_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("catalog_credentials_guid")
      .on(t.objectGuid)
      .where(sql`object_guid is not null`),
    index("catalog_credentials_username").on(t.username),
  ],
);

export const catalogSyncState = pgEnum("catalog_sync_state", ["queued", "running", "succeeded", "failed"]);

export interface CatalogChange {
  kind: "device" | "credential";
  name: string;
  change: "added" | "updated" | "removed" | "restored";
  /** For updates: the fields that changed, old → new. */
  fields?: Record<string, { from: unknown; to: unknown }>;
}

/** One run of the catalog sync, with live progress and what it changed. */
export const catalogSyncRuns = pgTable("catalog_sync_runs", {
  id: uuid("id").primaryKey().defaultRandom(),
  state: catalogSyncState("state").notNull().default("queued"),
  trigger: text("trigger").notNull(),
  requestedBy: uuid("requested_by").references(() => users.id),
  total: integer("total").notNull().default(0),
  processed: integer("processed").notNull().default(0),
  added: integer("added").notNull().default(0),
  updated: integer("updated").notNull().default(0),
  removed: integer("removed").notNull().default(0),
  changes: jsonb("changes").$type<CatalogChange[]>().notNull().default([]),
  error: text("error"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  startedAt: timestamp("started_at", { withTimezone: true }),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
});
