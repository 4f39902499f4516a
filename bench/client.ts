/**
 * The client phases of the bench (issue 15, phones first): gzipped JavaScript per page next to the
 * framework's baseline (bench/client-js.ts), and Lighthouse's mobile performance score per page
 * (bench/lighthouse.ts, BENCH_ONLY=lighthouse), both against a production web process with a
 * signed-in cookie and ~1,000 published privileges that the requester may all ask for.
 */
import { db } from "@/db";
import { privileges } from "@/db/schema";
import { seedDemo } from "../scripts/seed-demo";
import { frameworkBaseline, kb, measurePage, type PageJs } from "./client-js";
import { log, table } from "./lib/stats";
import { ensureBuild, WebServer } from "./lib/web";

const PASSWORD = process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!";
/** The requester (alice: every privilege tagged "demo" through *Demo operators*) and the admin. */
const REQUESTER = "alice";
const ADMIN = "carol";

/**
 * ~1,000 published privileges alice may request: rows shaped like published groups, tagged "demo"
 * (no AD group behind them: the pages only list them, nothing is granted). The roles page's own
 * bench (`BENCH_ONLY=scale`) seeds a larger installation with bench/scale-seed.ts.
 */
async function seedPrivileges(count: number): Promise<string> {
  await seedDemo(ADMIN);
  const rows = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, "0");
    return {
      name: `Bench privilege ${n}`,
      description: `Bench group ${n}: published only to give the pages a realistic catalogue`,
      groupDn: `CN=Bench Client ${n},OU=Privileges,OU=Interim,DC=interim,DC=test`,
      groupGuid: `00000000-0000-4000-8000-${n.padStart(12, "0")}`,
      tags: ["demo", `team-${i % 20}`],
      maxDurationMinutes: 240,
      defaultDurationMinutes: 60,
      allowExtension: i % 2 === 0,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insert(privileges)
      .values(rows.slice(i, i + 500))
      .onConflictDoNothing();
  return `${count} local rows (bench/client.ts seedPrivileges)`;
}

export interface ClientBenchOptions {
  port: number;
  privileges: number;
  lighthouse: boolean;
  problems: string[];
}

export async function clientBench(opts: ClientBenchOptions): Promise<Record<string, unknown>> {
  const buildAgeMinutes = ensureBuild(log);
  log(`client phases: production build from ${buildAgeMinutes.toFixed(0)} min ago; seeding ${opts.privileges} privileges …`);
  const seed = await seedPrivileges(opts.privileges);
  const published = await db.$count(privileges);
  log(`  seed: ${seed}; ${published} privileges published`);

  const web = new WebServer(opts.port);
  await web.start();
  try {
    const requester = await web.signIn(REQUESTER, PASSWORD);
    const admin = await web.signIn(ADMIN, PASSWORD);
    const pages: { route: string; cookie?: string }[] = [
      { route: "/signin" },
      { route: "/inbox", cookie: requester },
      { route: "/roles", cookie: requester },
      { route: "/admin", cookie: admin },
    ];

    const baseline = await frameworkBaseline(web.baseUrl);
    const js: PageJs[] = [];
    for (const p of pages) js.push(await measurePage(web.baseUrl, p.route, p.cookie));
    log("client JavaScript per page (gzip, what a phone downloads before the page is interactive):");
    console.log(
      table(
        ["page", "chunks", "raw", "gzip", "above framework", "HTML (gzip)"],
        [baseline, ...js].map((r) => [
          r.route,
          String(r.chunks),
          kb(r.rawBytes),
          kb(r.gzipBytes),
          r === baseline ? "—" : `+${kb(r.gzipBytes - baseline.gzipBytes)}`,
          r.htmlGzipBytes === undefined ? "—" : kb(r.htmlGzipBytes),
        ]),
      ),
    );
    const inbox = js.find((r) => r.route === "/inbox")!;
    if (inbox.gzipBytes > 150 * 1024) opts.problems.push(`/inbox ships ${kb(inbox.gzipBytes)} of gzipped JavaScript (goal ≤ 150 KB)`);

    let lighthouse: unknown;
    if (opts.lighthouse) {
      const { runLighthouse, printLighthouse } = await import("./lighthouse");
      const scores = [];
      for (const p of pages) scores.push(await runLighthouse(web.baseUrl + p.route, p.cookie));
      printLighthouse(scores);
      for (const s of scores) if (s.score < 90) opts.problems.push(`Lighthouse (mobile) scores ${s.url} ${s.score} (goal ≥ 90)`);
      lighthouse = scores;
    }
    return { seed, published, buildAgeMinutes, baseline, pages: js, lighthouse };
  } finally {
    await web.stop();
  }
}
