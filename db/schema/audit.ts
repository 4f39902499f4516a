import { sql, type SQL } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, text, timestamp, type AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * What the trail's free-text filter searches (server/audit/filters.ts): the action, the actor, the
 * target's type and id and the event data (keys and values), as words. Every run of characters that
 * are not letters or digits is one separator, so `drift.settings_changed`, a DN and a UUID become
 * plain words the `simple` parser cannot misread as hosts, emails or paths (the query is cut the same
 * way). One expression for the GIN index and the WHERE clause: the planner only uses the index when
 * the two are the same expression.
 */
export function auditSearchDocument(c: {
  action: AnyPgColumn | SQL;
  actorName: AnyPgColumn | SQL;
  targetType: AnyPgColumn | SQL;
  targetId: AnyPgColumn | SQL;
  data: AnyPgColumn | SQL;
}): SQL {
  return sql`to_tsvector('simple'::regconfig, regexp_replace(${c.action} || ' ' || coalesce(${c.actorName}, '') || ' ' || ${c.targetType} || ' ' || coalesce(${c.targetId}, '') || ' ' || (${c.data})::text, '[^[:alnum:]]+', ' ', 'g'))`;
}

/**
 * Append-only, hash-chained: `hash` = sha256(prev_hash + canonical row). Writers take a
 * transaction-scoped advisory lock so the chain has one order; see server/audit/chain.ts.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull().unique(),
  },
  (t) => [
    // Request timelines read the rows of one request and its grants; the trail's names and search read it too.
    index("audit_events_target").on(t.targetId),
    // The trail's free-text filter (server/audit/filters.ts).
    index("audit_events_search").using("gin", auditSearchDocument(t)),
  ],
);
