import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { privileges } from "./privileges";
import { users } from "./users";

export const requestStatus = pgEnum("request_status", ["pending", "approved", "denied", "cancelled", "failed"]);

/** What someone asked for. Approval (automatic for now) turns it into a grant. */
export const requests = pgTable(
  "requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requesterId: uuid("requester_id")
      .notNull()
      .references(() => users.id),
    privilegeId: uuid("privilege_id")
      .notNull()
      .references(() => privileges.id),
    targetDn: text("target_dn").notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    justification: text("justification").notNull().default(""),
    status: requestStatus("status").notNull().default("pending"),
    clientIp: text("client_ip"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [index("requests_requester").on(t.requesterId, t.createdAt)],
);
