/**
 * Phase "audit-export" (issue 16): BENCH_ONLY=audit-export npm run bench.
 *
 * Seeds BENCH_AUDIT_ROWS (1,000,000) audit events with one INSERT … SELECT over generate_series, as
 * the database owner, in the bench's own database. They do not form a valid hash chain (prev_hash
 * and hash are only unique digests of seq): the export neither reads nor checks the chain. A
 * quarter of them name a privilege that does not exist (a random id), so the names lookup (names.ts)
 * has work to do for every chunk; one in 1,000 carries the word "needle" in its data.
 *
 * Then, against the export route in a process of its own (bench/lib/audit-export-server.ts, the
 * handler server/http/serve.ts mounts) and an admin's real session cookie:
 *   - the CSV export of the first 10 % of the rows, then of all of them, streamed and counted by
 *     the client, each timed; the server's RSS idle and its peak (VmHWM) after each: flat means the
 *     export does not hold rows in memory;
 *   - the raw twin, measured in the same run: `COPY (select … the same rows …) TO STDOUT (FORMAT csv)`
 *     through postgres-js, consumed the same way;
 *   - the free-text filter: EXPLAIN (ANALYZE) of the page's query for a rare word, with its plan.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { encode } from "next-auth/jwt";
import postgres from "postgres";
import { desc, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { db, sqlClient } from "@/db";
import { auditEvents, auditSearchDocument } from "@/db/schema";
import { auditWhere } from "@/server/audit/filters";
import { startSession } from "@/server/auth/sessions";
import { findUser } from "@/server/directory/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { log, ms, table } from "./lib/stats";

const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const ADMIN = process.env.BENCH_AUDIT_ADMIN ?? "carol";

/** The index's expression as the schema declares it (db/schema/audit.ts), rendered by drizzle's dialect. */
const SEARCH_DOCUMENT = new PgDialect().sqlToQuery(
  auditSearchDocument({
    action: sql`${sql.identifier("action")}`,
    actorName: sql`${sql.identifier("actor_name")}`,
    targetType: sql`${sql.identifier("target_type")}`,
    targetId: sql`${sql.identifier("target_id")}`,
    data: sql`${sql.identifier("data")}`,
  }),
).sql;

const kb = (pid: number, field: "VmRSS" | "VmHWM") => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

async function seed(owner: postgres.Sql): Promise<{ first: number; last: number; start: Date }> {
  const [row] = await owner<{ next: string }[]>`select coalesce(max(seq), 0) + 1 as next from audit_events`;
  const first = Number(row!.next);
  const last = first + ROWS - 1;
  const start = new Date(Date.now() - ROWS - 60_000);
  const t0 = performance.now();
  // Built once after the insert: maintaining the GIN index row by row would take minutes.
  await owner`drop index if exists audit_events_search`;
  await owner`
    insert into audit_events (seq, at, actor_type, actor_id, actor_name, action, target_type, target_id, data, ip, user_agent, prev_hash, hash)
    select s, ${start}::timestamptz + (s - ${first}) * interval '1 millisecond',
      case when s % 3 = 0 then 'system' else 'user' end, null, case when s % 3 = 0 then 'interim-worker' else 'bench-admin-' || (s % 50) end,
      case s % 4 when 0 then 'privilege.updated' when 1 then 'request.cancelled' when 2 then 'grant.removed' else 'auth.signin_succeeded' end,
      case s % 4 when 0 then 'privilege' when 1 then 'request' when 2 then 'grant' else 'user' end,
      case when s % 4 = 0 then gen_random_uuid()::text else null end,
      jsonb_build_object('reason', 'bench row ' || s, 'privilege', 'Bench P' || (s % 100), 'note', case when s % 1000 = 0 then 'needle, "quoted"' || chr(10) || '=cmd' else 'plain' end),
      '10.0.' || (s % 250) || '.' || (s % 200), 'bench', encode(sha256(('p' || s)::bytea), 'hex'), encode(sha256(('h' || s)::bytea), 'hex')
    from generate_series(${first}::bigint, ${last}::bigint) s`;
  const inserted = performance.now();
  await owner.unsafe(`create index audit_events_search on audit_events using gin (${SEARCH_DOCUMENT})`);
  await owner`analyze audit_events`;
  log(`audit-export: seeded ${ROWS.toLocaleString("en")} rows in ${ms(inserted - t0)}, search index built in ${ms(performance.now() - inserted)}`);
  return { first, last, start };
}

async function adminCookie(): Promise<string> {
  const person = await findUser(ADMIN);
  if (!person) throw new Error(`no AD user ${ADMIN}`);
  const user = await upsertDirectoryUser(db, person, true, false);
  const sid = await startSession(user.id, "127.0.0.1", "bench");
  const token = await encode({
    token: { sub: user.id, sid, username: user.username, dn: user.dn, displayName: user.displayName, isAdmin: true },
    secret: process.env.NEXTAUTH_SECRET!,
    maxAge: 3600,
  });
  return `next-auth.session-token=${token}`;
}

async function startServer(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "bench/lib/audit-export-server.ts"], {
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", INTERIM_PROCESS: "interim-bench-export", NEXTAUTH_URL: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`export server exited (${String(code)})`);
  });
  const [line] = (await Promise.race([once(child.stdout!, "data"), exited])) as [Buffer];
  const port = /port (\d+)/.exec(line.toString())?.[1];
  if (!port) throw new Error(`export server said: ${line.toString()}`);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Reads a body to its end without keeping it: bytes and CSV records (CRLF-terminated lines). */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; records: number }> {
  let bytes = 0;
  let records = 0;
  let lastByte = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 10 && (i > 0 ? chunk[i - 1] : lastByte) === 13) records++;
    }
    lastByte = chunk[chunk.length - 1] ?? lastByte;
  }
  return { bytes, records };
}

export async function runAuditExportBench(): Promise<{ results: Record<string, unknown>; problems: string[] }> {
  const problems: string[] = [];
  const owner = postgres(process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const { first, last, start } = await seed(owner);
  const cookie = await adminCookie();
  log("audit-export: admin session ready; starting the export server");
  const { child, base } = await startServer();
  log(`audit-export: export server on ${base}`);
  const rows: string[][] = [];
  const results: Record<string, unknown> = { rows: ROWS, chainValid: false };
  try {
    const idle = kb(child.pid!, "VmRSS");
    rows.push(["export server idle", "", "", "", mb(idle)]);
    const tenth = new Date(start.getTime() + Math.floor(ROWS / 10) - 1);
    for (const [label, params] of [
      ["CSV export, first 10 %", { format: "csv", to: tenth.toISOString() }],
      ["CSV export, all rows", { format: "csv" }],
    ] as const) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/audit/export?${new URLSearchParams(params)}`, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status} ${await res.text()}`);
      const got = await drain(res.body as unknown as AsyncIterable<Uint8Array>);
      const elapsed = performance.now() - t0;
      const peak = kb(child.pid!, "VmHWM");
      log(`audit-export: ${label} in ${ms(elapsed)}`);
      rows.push([label, (got.records - 1).toLocaleString("en"), mb(got.bytes), ms(elapsed), mb(peak)]);
      results[label] = { rows: got.records - 1, bytes: got.bytes, ms: elapsed, peakRss: peak };
    }
    // The raw twin: Postgres writing the same rows as CSV, nothing else (no names, no escaping in JS, no HTTP).
    const t0 = performance.now();
    const copy = await owner
      .unsafe(
        `copy (select seq, at, actor_type, actor_id, actor_name, action, target_type, target_id, data, ip, user_agent, prev_hash, hash
               from audit_events where seq <= ${last} order by seq) to stdout with (format csv, header)`,
      )
      .readable();
    const raw = await drain(copy as AsyncIterable<Uint8Array>);
    const rawMs = performance.now() - t0;
    log(`audit-export: raw COPY in ${ms(rawMs)}`);
    // COPY ends its lines with LF alone, so the CRLF count above does not apply: the same rows, by construction.
    rows.push(["raw twin: COPY … TO STDOUT (csv)", "same rows", mb(raw.bytes), ms(rawMs), "—"]);
    results.rawCopy = { bytes: raw.bytes, ms: rawMs };
    const all = results["CSV export, all rows"] as { rows: number; peakRss: number };
    const tenthPeak = (results["CSV export, first 10 %"] as { peakRss: number }).peakRss;
    if (all.rows < ROWS) problems.push(`the export returned ${all.rows} rows, expected at least ${ROWS}`);
    if (all.peakRss > tenthPeak * 1.5 + 50 * 1048576) problems.push(`the export's peak RSS grew with the rows: ${mb(tenthPeak)} → ${mb(all.peakRss)}`);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
  // The free-text filter on the seeded trail: the page's query for a rare word.
  const page = db
    .select()
    .from(auditEvents)
    .where(auditWhere({ q: "needle" }))
    .orderBy(desc(auditEvents.seq))
    .limit(50)
    .toSQL();
  log("audit-export: export server stopped; explaining the search");
  const plan = await sqlClient().unsafe<{ "QUERY PLAN": string }[]>(`explain (analyze, buffers) ${page.sql}`, page.params as never[]);
  const planText = plan.map((p) => p["QUERY PLAN"]).join("\n");
  results.searchPlan = planText;
  if (!/audit_events_search/.test(planText)) problems.push("the free-text filter did not use audit_events_search");
  await owner.end({ timeout: 1 });
  console.log(`\nAudit export (BENCH_AUDIT_ROWS=${ROWS}; seeded rows are not a valid chain), seq ${first}–${last}\n`);
  console.log(table(["what", "rows", "size", "time", "server peak RSS"], rows));
  console.log(`\nFree-text filter "needle" (page query, 1 row in 1,000 matches):\n${planText}`);
  return { results, problems };
}
