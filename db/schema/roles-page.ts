import { bigint, index, integer, pgTable, primaryKey, timestamp, uuid } from "drizzle-orm/pg-core";
import { privileges } from "./privileges";
import { users } from "./users";

/** A privilege a person starred on the requester page: listed first there. */
export const privilegeFavourites = pgTable(
  "privilege_favourites",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    privilegeId: uuid("privilege_id")
      .notNull()
      .references(() => privileges.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.privilegeId] }), index("privilege_favourites_user").on(t.userId, t.createdAt)],
);

/**
 * One row (id 1): a counter bumped, in the same transaction, by every write to what decides a
 * requester's listing (access groups, their members and activations, privileges, sets, the
 * catalog) — by statement triggers, see the migration. Every web node's access cache
 * (server/requests/access-cache.ts) keys its entries by it, so a change made on any node drops them all.
 */
export const accessVersion = pgTable("access_version", {
  id: integer("id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull().default(0),
});
