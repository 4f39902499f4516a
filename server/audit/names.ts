import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@/db";

/*
 * People read the trail by name: "Carol Admin", "JIT SQL Admins for alice", not "access_group
 * 8015b09b-…". Names are looked up per page (or per export chunk) in two queries whatever the page
 * holds — the live objects by target type, then, for what is gone, the newest name the trail itself
 * recorded for that target (a deleted access group's `before.name`, a set's `privilege` …) — never
 * one query per row. The id stays on the row (the page shows it on hover and lets it be copied).
 */

export interface NamedRow {
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  targetType: string;
  targetId: string | null;
}

export interface RowNames {
  /** The actor as people know them (display name), else the recorded actor name. */
  actor: string;
  /** The target's name; null for targets without one (the directory, a sync run). */
  target: string | null;
  /** True when the target no longer exists and its name comes from the trail. */
  targetGone: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Live names by target type: `ids` is a uuid[] parameter; each answers (id text, name text). */
const LIVE: Record<string, (ids: SQL) => SQL> = {
  user: (ids) => sql`select id::text, display_name || ' (' || username || ')' from users where id = any(${ids})`,
  privilege: (ids) => sql`select id::text, name from privileges where id = any(${ids})`,
  privilege_set: (ids) => sql`select id::text, name from privilege_sets where id = any(${ids})`,
  access_group: (ids) => sql`select id::text, name from access_groups where id = any(${ids})`,
  device: (ids) => sql`select id::text, name from catalog_devices where id = any(${ids})`,
  catalog_device: (ids) => sql`select id::text, name from catalog_devices where id = any(${ids})`,
  credential: (ids) => sql`select id::text, username from catalog_credentials where id = any(${ids})`,
  catalog_credential: (ids) => sql`select id::text, username from catalog_credentials where id = any(${ids})`,
  // A request: what it asks for (the set's name for a set request) and for whom.
  request: (ids) => sql`select r.id::text, coalesce(s.name, p.name) || ' for ' || coalesce(c.username, u.username)
    from requests r join privileges p on p.id = r.privilege_id join users u on u.id = r.requester_id
    left join privilege_sets s on s.id = r.privilege_set_id left join catalog_credentials c on c.id = r.credential_id
    where r.id = any(${ids})`,
  // A grant: its privilege and its holder (the catalog account when the request named one).
  grant: (ids) => sql`select g.id::text, p.name || ' → ' || coalesce(c.username, u.username)
    from grants g join privileges p on p.id = g.privilege_id join users u on u.id = g.user_id
    join requests r on r.id = g.request_id left join catalog_credentials c on c.id = r.credential_id
    where g.id = any(${ids})`,
  device_session: (ids) =>
    sql`select s.id::text, s.login || ' on ' || d.name from device_sessions s join catalog_devices d on d.id = s.device_id where s.id = any(${ids})`,
};
const ACTOR = "@actor"; // not a target type: a key of its own for the actors

/** The name an event's data records for its target, newest first (see RECORDED below). */
const RECORDED_NAME = sql.raw(`coalesce(
  data->>'group', data->'before'->>'name', data->'after'->>'name', data->>'privilege', data->>'device',
  data->'before'->>'username', data->'after'->>'username', data->>'username', data->>'recipient')`);

/** The CN of a DN ("CN=JIT SQL Admins,OU=…" → "JIT SQL Admins"), for targets named by their DN. */
export function commonName(dn: string): string {
  const m = /^CN=((?:\\.|[^,\\])+)/i.exec(dn);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : dn;
}

const key = (type: string, id: string) => `${type}\u0000${id}`;

/**
 * Names for a page of trail rows, in two queries at most (one when every target still exists).
 * Returned in the rows' order.
 */
export async function resolveNames(executor: Executor, rows: NamedRow[]): Promise<RowNames[]> {
  const idsByType = new Map<string, Set<string>>();
  const want = (type: string, id: string | null) => {
    if (!id || !UUID.test(id)) return;
    if (!idsByType.has(type)) idsByType.set(type, new Set());
    idsByType.get(type)!.add(id.toLowerCase());
  };
  for (const r of rows) {
    if (r.actorType === "user") want(ACTOR, r.actorId);
    if (LIVE[r.targetType]) want(r.targetType, r.targetId);
  }
  const live = new Map<string, string>();
  const parts = [...idsByType].map(([type, ids]) => {
    // An array literal of checked UUIDs (drizzle would spread a JS array into a list of parameters).
    const param = sql`${`{${[...ids].join(",")}}`}::uuid[]`;
    const source = type === ACTOR ? LIVE.user!(param) : LIVE[type]!(param);
    return sql`select ${type}::text as type, x.* from (${source}) as x(id, name)`;
  });
  if (parts.length) {
    const found = await executor.execute<{ type: string; id: string; name: string }>(sql.join(parts, sql` union all `));
    for (const f of found) live.set(key(f.type, f.id), f.name);
  }
  const recorded = await recordedNames(executor, rows, live);
  return rows.map((r) => {
    const actor = (r.actorType === "user" && r.actorId && live.get(key(ACTOR, r.actorId.toLowerCase()))) || r.actorName || r.actorType;
    if (!r.targetId) return { actor, target: null, targetGone: false };
    if (r.targetType === "group") return { actor, target: commonName(r.targetId), targetGone: false };
    const now = live.get(key(r.targetType, r.targetId.toLowerCase()));
    if (now) return { actor, target: now, targetGone: false };
    const then = recorded.get(key(r.targetType, r.targetId));
    return { actor, target: then ?? null, targetGone: LIVE[r.targetType] !== undefined };
  });
}

/** For targets not found alive: the newest name any event of the same target recorded. */
async function recordedNames(executor: Executor, rows: NamedRow[], live: Map<string, string>): Promise<Map<string, string>> {
  const missing = new Map<string, { type: string; id: string }>();
  for (const r of rows) {
    if (!r.targetId || r.targetType === "group" || (!LIVE[r.targetType] && r.targetType !== "notification")) continue;
    if (live.has(key(r.targetType, r.targetId.toLowerCase()))) continue;
    missing.set(key(r.targetType, r.targetId), { type: r.targetType, id: r.targetId });
  }
  const out = new Map<string, string>();
  if (missing.size === 0) return out;
  const list = [...missing.values()];
  const found = await executor.execute<{ type: string; id: string; name: string }>(sql`
    select distinct on (e.target_type, e.target_id) e.target_type as type, e.target_id as id, ${RECORDED_NAME} as name
    from audit_events e
    join json_to_recordset(${JSON.stringify(list)}::json) as w(type text, id text) on e.target_id = w.id and e.target_type = w.type
    where ${RECORDED_NAME} is not null
    order by e.target_type, e.target_id, e.seq desc`);
  for (const f of found) out.set(key(f.type, f.id), f.name);
  return out;
}

/**
 * Ids of the targets whose current name contains `pattern` (an ILIKE pattern: paging.ts
 * containsPattern), as a text[] expression for `target_id = any(…)`: the free-text filter finds
 * "JIT SQL Admins" on events that only carry the privilege's id.
 */
export function namedTargetIds(pattern: string): SQL {
  return sql`array(
    select id::text from users where username ilike ${pattern} or display_name ilike ${pattern}
    union all select id::text from privileges where name ilike ${pattern}
    union all select id::text from privilege_sets where name ilike ${pattern}
    union all select id::text from access_groups where name ilike ${pattern}
    union all select id::text from catalog_devices where name ilike ${pattern}
    union all select id::text from catalog_credentials where username ilike ${pattern}
    union all select r.id::text from requests r join privileges p on p.id = r.privilege_id where p.name ilike ${pattern}
    union all select g.id::text from grants g join privileges p on p.id = g.privilege_id where p.name ilike ${pattern})`;
}
