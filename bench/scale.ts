/**
 * Phase "scale" (issue 15, the roles page): BENCH_ONLY=scale npm run bench.
 * Seeds bench/scale-seed.ts (BENCH_SCALE_PRIVILEGES 1000, BENCH_SCALE_GROUPS 200, BENCH_SCALE_ACCOUNTS 5000),
 * starts the production web process as `npm run start:web` does (node dist/web.js: builds first when
 * the build is missing) on BENCH_SCALE_PORT (3250), signs in BENCH_SCALE_USER (alice, password
 * DEMO_PASSWORD), and loads the batched GET the page makes — requests.access alone, and
 * requests.access + requests.mine together:
 *   (a) at a steady 100 calls/s for BENCH_SCALE_SECONDS (15): one call every 10 ms, open loop (a late
 *       answer does not delay the next call), each timed from when it was due → p50/p95/p99. Not
 *       autocannon's `overallRate`, which sends each second's quota at the top of the second and so
 *       measures a burst of 100, not a rate;
 *   (b) 50 concurrent clients unthrottled, with autocannon → calls/s and p99;
 * each next to the same settings against /api/health (no work beyond `select 1`, through Next).
 * Prints the answer size and the web process's RSS idle and after the load (budget 400 MB).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import autocannon from "autocannon";
import { eq } from "drizzle-orm";
import { db } from "@/db";
import { users } from "@/db/schema";
import { seedScale } from "./scale-seed";
import { log, ms, summarize, table } from "./lib/stats";

const int = (name: string, def: number) => {
  const n = Number(process.env[name] ?? def);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${process.env[name]}"`);
  return n;
};
const PORT = int("BENCH_SCALE_PORT", 3250);
const SECONDS = int("BENCH_SCALE_SECONDS", 15);
const BASE = `http://127.0.0.1:${PORT}`;
const FRESH_SIGNINS = 5;

function rssOfTree(root: number): number {
  // The web is the node process under npx/tsx: the largest RSS among root's descendants.
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* gone */
    }
  }
  let best = 0;
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p && p !== root && p !== 1) p = parent.get(p);
    if (p !== root) continue;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) best = Math.max(best, Number(m[1]) * 1024);
  }
  return best;
}

async function startWeb(): Promise<ChildProcess> {
  if (!existsSync(".next/BUILD_ID") || !existsSync("dist/web.js")) {
    log("scale: no production build (.next/BUILD_ID, dist/web.js): running npm run build");
    execFileSync("npm", ["run", "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  }
  const child = spawn(process.execPath, ["--enable-source-maps", "--max-old-space-size=1024", "dist/web.js"], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(PORT),
      BIND_ADDRESS: "127.0.0.1",
      NEXTAUTH_URL: BASE,
      INTERIM_PROCESS: "interim-web-bench",
      // Loopback speaks for the client, so one call can come "from" a public address (the GeoIP figure).
      TRUSTED_PROXIES: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${BASE}/api/health`)).ok) return child;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("scale: the web process did not answer /api/health within 120 s");
}

async function signIn(username: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";", 1);
      const at = pair!.indexOf("=");
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = await fetch(`${BASE}/api/auth/csrf`);
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${BASE}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookie() },
    body: new URLSearchParams({ csrfToken, username, password, json: "true", callbackUrl: `${BASE}/roles` }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.includes("session-token"))) throw new Error(`scale: signing in ${username} failed (HTTP ${res.status})`);
  return cookie();
}

const batchUrl = (procs: string[], inputs: unknown[]) =>
  `/api/trpc/${procs.join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(inputs.map((json, i) => [i, { json }]))))}`;

interface Load {
  calls: number;
  perSecond: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
}

function loadOf(times: number[], errors: number, perSecond: number): Load {
  const s = summarize(times);
  const sorted = [...times].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? NaN;
  return { calls: times.length, perSecond, errors, p50: s.p50, p95, p99: s.p99 };
}

/** A steady `rate` calls/s, open loop: call i is due at start + i/rate and timed from then. */
async function paced(path: string, cookie: string, rate: number): Promise<Load> {
  // Idle sockets are dropped after 4 s, before the server's keep-alive timeout (5 s) could close one
  // under a call about to reuse it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
  const times: number[] = [];
  let errors = 0;
  const failures = new Map<string, number>();
  const failed = (what: string) => {
    errors++;
    failures.set(what, (failures.get(what) ?? 0) + 1);
  };
  const calls: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * SECONDS; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    calls.push(
      new Promise<void>((resolve) => {
        const req = http.get(`${BASE}${path}`, { agent, headers: { cookie } }, (res) => {
          res.resume();
          res.on("end", () => {
            times.push(performance.now() - due);
            if (res.statusCode !== 200) failed(`HTTP ${res.statusCode}`);
            resolve();
          });
        });
        req.on("error", (err: NodeJS.ErrnoException) => {
          failed(err.code ?? err.message);
          resolve();
        });
      }),
    );
  }
  await Promise.all(calls);
  agent.destroy();
  if (failures.size) log(`scale: ${path.slice(0, 60)}…: failed calls ${JSON.stringify(Object.fromEntries(failures))}`);
  return loadOf(times, errors, times.length / ((performance.now() - start) / 1000));
}

/** `connections` clients, each sending its next call when the last is answered (autocannon). */
async function concurrent(path: string, cookie: string, connections: number): Promise<Load> {
  const times: number[] = [];
  let errors = 0;
  const instance = autocannon({ url: `${BASE}${path}`, headers: { cookie }, duration: SECONDS, connections });
  instance.on("response", (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    times.push(responseTime);
    if (status !== 200) errors++;
  });
  const result = await instance;
  return loadOf(times, errors + result.errors + result.timeouts, result.requests.average);
}

export async function runScaleBench(): Promise<{ results: Record<string, unknown>; problems: string[] }> {
  const problems: string[] = [];
  const username = process.env.BENCH_SCALE_USER ?? "alice";
  const password = process.env.BENCH_SCALE_PASSWORD ?? process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!";
  const web = await startWeb();
  try {
    const cookie = await signIn(username, password);
    const [me] = await db.select().from(users).where(eq(users.username, username));
    const seeded = await seedScale({
      privileges: int("BENCH_SCALE_PRIVILEGES", 1000),
      groups: int("BENCH_SCALE_GROUPS", 200),
      accounts: int("BENCH_SCALE_ACCOUNTS", 5000),
      requester: { objectGuid: me!.objectGuid, username: me!.username, displayName: me!.displayName, dn: me!.dn },
    });
    log(`scale: seeded ${seeded.privilegeIds.length} privileges, ${seeded.groupIds.length} groups (${username} in ${seeded.requesterGroups})`);
    const access = batchUrl(["requests.access"], [{ search: "", tag: "", limit: 24 }]);
    const page = batchUrl(["requests.access", "requests.mine"], [{ search: "", tag: "", limit: 24 }, { limit: 20 }]);
    const first = await fetch(`${BASE}${access}`, { headers: { cookie } });
    const body = await first.text();
    if (!first.ok) problems.push(`scale: requests.access answered ${first.status}: ${body.slice(0, 200)}`);
    const total = (JSON.parse(body) as { result: { data: { json: { available: number } } } }[])[0]?.result.data.json.available;
    const pageBytes = (await (await fetch(`${BASE}${page}`, { headers: { cookie } })).arrayBuffer()).byteLength;
    const results: Record<string, unknown> = {
      privilegesVisible: total,
      accessBytes: Buffer.byteLength(body),
      pageCallBytes: pageBytes,
      rssIdleBytes: rssOfTree(web.pid!),
    };
    // A listing computed afresh: what the first call after each sign-in costs (a new session is a
    // new cache key), the page's first paint after sign-in included.
    const fresh: number[] = [];
    for (let i = 0; i < FRESH_SIGNINS; i++) {
      const again = await signIn(username, password);
      const t0 = performance.now();
      const res = await fetch(`${BASE}${access}`, { headers: { cookie: again } });
      await res.arrayBuffer();
      fresh.push(performance.now() - t0);
      if (!res.ok) problems.push(`scale: a fresh requests.access answered ${res.status}`);
    }
    results.freshListingMs = summarize(fresh);
    log(
      `scale: a listing computed afresh (first call after sign-in, ${FRESH_SIGNINS} sign-ins): p50 ${ms(summarize(fresh).p50)}, max ${ms(Math.max(...fresh))}`,
    );
    for (const [name, path] of [
      ["access", access],
      ["page", page],
      ["health", "/api/health"],
    ] as const) {
      const fixed = await paced(path, cookie, 100);
      const open = await concurrent(path, cookie, 50);
      results[name] = { fixed100: fixed, concurrent50: open };
      for (const [what, l] of [
        ["100 calls/s", fixed],
        ["50 clients", open],
      ] as const)
        if (l.errors) problems.push(`scale: ${name} at ${what}: ${l.errors} failed calls`);
      log(
        `scale: ${name}: 100/s p50 ${ms(fixed.p50)} p95 ${ms(fixed.p95)} p99 ${ms(fixed.p99)}; 50 clients ${open.perSecond.toFixed(0)} calls/s p99 ${ms(open.p99)}`,
      );
    }
    results.rssAfterBytes = rssOfTree(web.pid!);
    // The GeoIP database is read by the first call from a public address: its share, measured.
    const geo = await fetch(`${BASE}${access}`, { headers: { cookie, "x-forwarded-for": "8.8.8.8" } });
    if (!geo.ok) problems.push(`scale: requests.access from a public address answered ${geo.status}`);
    results.rssGeoIpBytes = rssOfTree(web.pid!);
    return { results, problems };
  } finally {
    try {
      process.kill(-web.pid!, "SIGTERM");
    } catch {
      /* gone */
    }
  }
}

/** The phase's rows for the bench table: Interim's call next to /api/health, same settings, same run. */
export function scaleRows(r: Record<string, unknown>): string[][] {
  const x = r as Record<"access" | "page" | "health", { fixed100: Load; concurrent50: Load }> &
    Record<"accessBytes" | "pageCallBytes" | "privilegesVisible" | "rssIdleBytes" | "rssAfterBytes" | "rssGeoIpBytes", number>;
  const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
  const rows: string[][] = [];
  for (const name of ["access", "page"] as const) {
    const label = name === "access" ? "requests.access" : "requests.access + requests.mine";
    rows.push([
      `${label} at 100 calls/s (p50 / p95 / p99)`,
      `${ms(x[name].fixed100.p50)} / ${ms(x[name].fixed100.p95)} / ${ms(x[name].fixed100.p99)}`,
      `${ms(x.health.fixed100.p50)} / ${ms(x.health.fixed100.p95)} / ${ms(x.health.fixed100.p99)}`,
      "goal p95 ≤ 50 ms (access)",
    ]);
    rows.push([
      `${label}, 50 clients`,
      `${x[name].concurrent50.perSecond.toFixed(0)} calls/s, p99 ${ms(x[name].concurrent50.p99)}`,
      `${x.health.concurrent50.perSecond.toFixed(0)} calls/s, p99 ${ms(x.health.concurrent50.p99)}`,
      "goal ≥ 300 calls/s (access)",
    ]);
  }
  const fresh = r.freshListingMs as { p50: number; max: number };
  rows.push([
    "requests.access computed afresh (first call after a sign-in)",
    `p50 ${ms(fresh.p50)}, max ${ms(fresh.max)}`,
    "—",
    "every INTERIM_ACCESS_CACHE_SECONDS per person, or after an access change",
  ]);
  rows.push(["answer size (access / page call)", `${x.accessBytes} B / ${x.pageCallBytes} B`, "—", `${x.privilegesVisible} privileges visible to the user`]);
  rows.push(["web RSS idle → after the load", `${mb(x.rssIdleBytes)} → ${mb(x.rssAfterBytes)}`, "—", "budget 400 MB"]);
  rows.push(["web RSS once a public address loaded GeoIP", mb(x.rssGeoIpBytes), "—", "geoip-lite's city data, read by the first public caller"]);
  return rows;
}

export const scaleTable = (r: Record<string, unknown>) => table(["metric", "Interim", "/api/health, same settings", "notes"], scaleRows(r));
