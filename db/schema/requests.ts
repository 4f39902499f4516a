import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { accessGroups } from "./access-groups";
import { catalogCredentials } from "./catalog";
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
    changeId: text("change_id"),
    governanceCode: text("governance_code"),
    /** A privileged account from the catalog elevated instead of the requester's own account. */
    credentialId: uuid("credential_id").references(() => catalogCredentials.id),
    emergency: boolean("emergency").notNull().default(false),
    /** The access group that allowed the request; its policy as checked is frozen in `policy`. */
    accessGroupId: uuid("access_group_id").references(() => accessGroups.id, { onDelete: "set null" }),
    policy: jsonb("policy").$type<FrozenPolicy>(),
    locationCountry: text("location_country"),
    locationRegion: text("location_region"),
    /** The end of the group's time window at submission: the grant never runs past it. */
    windowEndsAt: timestamp("window_ends_at", { withTimezone: true }),
    status: requestStatus("status").notNull().default("pending"),
    clientIp: text("client_ip"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [index("requests_requester").on(t.requesterId, t.createdAt)],
);
