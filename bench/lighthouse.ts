/**
 * Lighthouse's mobile profile (its default config: a mid-range phone, simulated slow 4G and a 4×
 * slower CPU), performance category only, against the production server — signed in through
 * `extraHeaders` (Cookie). Chromium is Debian's (CHROME_PATH, else CHROMIUM_PATH as for e2e, else
 * /usr/bin/chromium), started headless here with a profile of its own per page.
 * Runs in `npm run bench` (BENCH_ONLY=lighthouse: with the client-JS sums, nothing else);
 * BENCH_LIGHTHOUSE_RUNS (1) runs per page, the median score is kept. Where the main-thread time
 * goes is kept with each result (Lighthouse's mainthread-work-breakdown, bootup-time and long-tasks
 * audits); BENCH_LIGHTHOUSE_REPORTS=<dir> also writes each run's full report there.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import lighthouse from "lighthouse";
import { ms, table } from "./lib/stats";

export interface LighthouseResult {
  url: string;
  score: number;
  tbtMs: number;
  lcpMs: number;
  fcpMs: number;
  /** Main-thread work (ms, as Lighthouse scales it) by kind: scriptEvaluation, styleLayout, parseHTML, … */
  mainThread: Record<string, number>;
  /** The scripts that kept the main thread busiest: scripting and parse/compile ms. */
  scripts: { url: string; scriptingMs: number; parseMs: number }[];
  /** The long tasks (> 50 ms) in order: what ran them and how long. */
  longTasks: { url: string; startMs: number; durationMs: number }[];
  runs: number[];
}

type Items = Record<string, unknown>[];
const itemsOf = (audit: { details?: unknown } | undefined): Items => ((audit?.details as { items?: Items } | undefined)?.items ?? []) as Items;
const shortUrl = (u: unknown) => String(u ?? "").replace(/^https?:\/\/[^/]+/, "");

const chromium = process.env.CHROME_PATH || process.env.CHROMIUM_PATH || "/usr/bin/chromium";

async function withChromium<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "interim-lh-"));
  const child = spawn(
    chromium,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    // A process group of its own, so that its helper processes (which write the profile) go with it.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Chromium did not open its DevTools port in 30 s")), 30_000);
      child.once("exit", (code) => reject(new Error(`Chromium exited (${code})`)));
      createInterface({ input: child.stderr! }).on("line", (line) => {
        const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    return await fn(port);
  } finally {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    // Chromium's helper processes may still be writing the profile for a moment after the kill.
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

async function once(url: string, cookie: string | undefined) {
  return withChromium(async (port) => {
    const result = await lighthouse(url, {
      port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance"],
      extraHeaders: cookie ? { Cookie: cookie } : undefined,
    });
    const lhr = result?.lhr;
    if (!lhr) throw new Error(`Lighthouse gave no result for ${url}`);
    if (lhr.runtimeError) throw new Error(`Lighthouse on ${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    if (lhr.finalDisplayedUrl !== url) throw new Error(`Lighthouse on ${url} ended on ${lhr.finalDisplayedUrl} (not signed in?)`);
    const num = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
    const reports = process.env.BENCH_LIGHTHOUSE_REPORTS;
    if (reports) {
      mkdirSync(reports, { recursive: true });
      const name = `${new URL(url).pathname.replace(/\W+/g, "_") || "_"}-${new Date().toISOString().replace(/[:.]/g, "")}.json`;
      writeFileSync(path.join(reports, name), JSON.stringify(lhr));
    }
    const round = (n: unknown) => Math.round(Number(n) || 0);
    return {
      mainThread: Object.fromEntries(itemsOf(lhr.audits["mainthread-work-breakdown"]).map((i) => [String(i.group), round(i.duration)])),
      scripts: itemsOf(lhr.audits["bootup-time"])
        .slice(0, 6)
        .map((i) => ({ url: shortUrl(i.url), scriptingMs: round(i.scripting), parseMs: round(i.scriptParseCompile) })),
      longTasks: itemsOf(lhr.audits["long-tasks"]).map((i) => ({ url: shortUrl(i.url), startMs: round(i.startTime), durationMs: round(i.duration) })),
      score: Math.round((lhr.categories.performance?.score ?? 0) * 100),
      tbtMs: num("total-blocking-time"),
      lcpMs: num("largest-contentful-paint"),
      fcpMs: num("first-contentful-paint"),
    };
  });
}

export async function runLighthouse(url: string, cookie?: string): Promise<LighthouseResult> {
  const n = Math.max(1, Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? 1) || 1);
  const runs = [];
  for (let i = 0; i < n; i++) {
    // Lighthouse now and then loses the trace's start on this loaded machine (NO_NAVSTART): a second try, not a failed bench.
    runs.push(await once(url, cookie).catch((err: unknown) => (String(err).includes("NO_NAVSTART") ? once(url, cookie) : Promise.reject(err))));
  }
  runs.sort((a, b) => a.score - b.score);
  const median = runs[Math.floor((runs.length - 1) / 2)]!;
  return { url: new URL(url).pathname, ...median, runs: runs.map((r) => r.score) };
}

export function printLighthouse(results: LighthouseResult[]) {
  console.log(
    table(
      ["page", "performance (mobile)", "TBT", "LCP", "FCP", "main thread", "long tasks", "runs"],
      results.map((r) => [
        r.url,
        String(r.score),
        ms(r.tbtMs),
        ms(r.lcpMs),
        ms(r.fcpMs),
        ms(Object.values(r.mainThread).reduce((a, b) => a + b, 0)),
        r.longTasks.map((t) => `${t.durationMs}`).join("+") || "none",
        r.runs.join(", "),
      ]),
    ),
  );
  for (const r of results) {
    const kinds = Object.entries(r.mainThread)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const scripts = r.scripts.map((x) => `${x.url || "(page)"} ${x.scriptingMs}+${x.parseMs}`).join("; ");
    console.log(`  ${r.url}: main thread ms by kind: ${kinds}\n    busiest scripts (scripting+parse ms): ${scripts}`);
  }
}
