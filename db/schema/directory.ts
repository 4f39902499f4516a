import { boolean, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export interface DomainControllerInfo {
  hostName: string;
  serverDn: string;
  site: string;
}

/** Facts detected from the directory (a single row, id = 1). Connection secrets stay in env. */
export const directorySettings = pgTable("directory_settings", {
  id: integer("id").primaryKey().default(1),
  domainDn: text("domain_dn"),
  pamFeatureEnabled: boolean("pam_feature_enabled"),
  domainControllers: jsonb("domain_controllers").$type<DomainControllerInfo[]>(),
  lockoutThreshold: integer("lockout_threshold"),
  checkedAt: timestamp("checked_at", { withTimezone: true }),
  lastError: text("last_error"),
});
