import { boolean, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { catalogCredentials } from "./catalog";
import { privileges } from "./privileges";
import { users } from "./users";

/*
 * Privilege sets (Devolutions' "privilege sets"): privileges granted together, with the privileged
 * accounts allowed to use them. A request for a set is one request (one approval, one timeline)
 * that makes one grant per privilege; they stand or fall together (server/privilege-sets).
 */

export const privilegeSets = pgTable("privilege_sets", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  /** Requesters may elevate their own account with the set too; otherwise only the accounts listed. */
  allowOwnAccount: boolean("allow_own_account").notNull().default(false),
  /** Disabled: no new requests; grants already made run their course. */
  enabled: boolean("enabled").notNull().default(true),
  createdBy: uuid("created_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const privilegeSetItems = pgTable(
  "privilege_set_items",
  {
    setId: uuid("set_id")
      .notNull()
      .references(() => privilegeSets.id, { onDelete: "cascade" }),
    privilegeId: uuid("privilege_id")
      .notNull()
      .references(() => privileges.id),
  },
  (t) => [primaryKey({ columns: [t.setId, t.privilegeId] }), index("privilege_set_items_privilege").on(t.privilegeId)],
);

/** The privileged accounts (catalog credentials) a set may be requested for. */
export const privilegeSetAccounts = pgTable(
  "privilege_set_accounts",
  {
    setId: uuid("set_id")
      .notNull()
      .references(() => privilegeSets.id, { onDelete: "cascade" }),
    // A credential deleted from the catalog simply leaves the sets it was in.
    credentialId: uuid("credential_id")
      .notNull()
      .references(() => catalogCredentials.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.setId, t.credentialId] }), index("privilege_set_accounts_credential").on(t.credentialId)],
);
