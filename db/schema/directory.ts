import { sql } from "drizzle-orm";
import { boolean, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export interface DomainControllerInfo {
  hostName: string;
  serverDn: string;
  site: string;
}

/**
 * When a change written to one DC counts as done everywhere: `verify` = every DC shows it,
 * `wait` = the configured replication latency has passed, `both` = both.
 */
export const replicationMode = pgEnum("replication_mode", ["verify", "wait", "both"]);

/**
 * Facts detected from the directory, and the admin's replication settings (a single row, id = 1).
 * Connection secrets stay in env.
 */
export const directorySettings = pgTable("directory_settings", {
  id: integer("id").primaryKey().default(1),
  domainDn: text("domain_dn"),
  pamFeatureEnabled: boolean("pam_feature_enabled"),
  domainControllers: jsonb("domain_controllers").$type<DomainControllerInfo[]>(),
  lockoutThreshold: integer("lockout_threshold"),
  checkedAt: timestamp("checked_at", { withTimezone: true }),
  lastError: text("last_error"),
  replicationMode: replicationMode("replication_mode").notNull().default("verify"),
  /** `wait`/`both`: how long a change takes to reach every DC. */
  replicationLatencySeconds: integer("replication_latency_seconds").notNull().default(30),
  /** A change not confirmed on every DC after this long counts as done anyway (audited as unverified). */
  replicationMaxWaitSeconds: integer("replication_max_wait_seconds").notNull().default(900),
  /** LDAPS URLs of the DCs to check; empty = the DCs found in the directory (nTDSDSA objects). */
  replicationDcUrls: jsonb("replication_dc_urls").$type<string[]>().notNull().default([]),
});

/**
 * A time when no configured DC could be reached for a directory write (issue 15). At most one
 * open row (ended_at null) per set of DC URLs: the partial unique index makes the opening race
 * between workers (and nodes) produce one row and one `directory.outage_started` event.
 */
export const directoryOutages = pgTable(
  "directory_outages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The LDAP_URL list (comma-separated) that was unreachable: every URL failed, or the write would have gone to the next. */
    dcUrl: text("dc_url").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    lastError: text("last_error").notNull(),
    /** Writes that failed for it (grants' activations and removal batches), counted without an audit event each. */
    failures: integer("failures").notNull().default(1),
  },
  (t) => [
    uniqueIndex("directory_outages_open")
      .on(t.dcUrl)
      .where(sql`${t.endedAt} is null`),
  ],
);
