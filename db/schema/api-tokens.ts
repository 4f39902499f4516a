import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * Tokens for the REST API (/api/v1): created by an admin, acting for that admin within their
 * scopes. Only a SHA-256 of the secret is kept (the secret carries 256 random bits, so a plain
 * hash is as good as a slow one); the secret itself is shown once at creation.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull().unique(),
    /** Values of API_SCOPES (shared/api-scopes.ts). */
    scopes: text("scopes").array().notNull(),
    /** Hex SHA-256 of the whole secret (`itm_<id>_<random>`). */
    secretHash: text("secret_hash").notNull(),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: uuid("revoked_by").references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    lastUsedIp: text("last_used_ip"),
  },
  (t) => [index("api_tokens_created_by").on(t.createdBy), check("api_tokens_expiry_after_creation", sql`${t.expiresAt} > ${t.createdAt}`)],
);
