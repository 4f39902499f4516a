/**
 * The real worker (`npx tsx worker/index.ts`) as a child process with the bench's environment.
 * Its log lines (pino JSON, LOG_LEVEL=warn) are echoed with a prefix and kept for the report.
 * The bench stops and restarts it between phases; the log is kept across restarts. `count` workers
 * run side by side when it starts them (BENCH_WORKERS: the expiry-lag phase with several nodes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

export interface WorkerLogLine {
  level: number;
  msg: string;
  raw: string;
}

const repoRoot = path.resolve(import.meta.dirname, "../..");
const ECHO_LIMIT = 20;

export class WorkerControl {
  readonly lines: WorkerLogLine[] = [];
  starts = 0;
  /** How many worker processes start() runs side by side. */
  count = 1;
  private children: { child: ChildProcess; pgid: number }[] = [];
  private stopping = false;
  /** Set when the worker exited while the bench still needed it. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  start(): void {
    if (this.children.some((c) => this.groupAlive(c.pgid))) return;
    this.stopping = false;
    this.exited = null;
    for (let i = 0; i < this.count; i++) this.spawnOne(i);
  }

  private spawnOne(i: number): void {
    this.starts++;
    const child = spawn("npx", ["tsx", "--import", "./scripts/lib/server-only.mjs", "worker/index.ts"], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: "warn", INTERIM_PROCESS: i === 0 ? "interim-bench-worker" : `interim-bench-worker-${i + 1}` },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: `npx` exits on SIGTERM without passing it on to tsx/node, so the
      // bench signals the whole group (npx, sh, tsx, node) and waits until all of it is gone.
      detached: true,
    });
    this.children.push({ child, pgid: child.pid! });
    createInterface({ input: child.stdout! }).on("line", (l) => this.onLine(l));
    createInterface({ input: child.stderr! }).on("line", (l) => this.onLine(l));
    child.on("exit", (code, signal) => {
      if (!this.stopping) {
        this.exited = { code, signal };
        console.log(`[worker] exited unexpectedly (code ${code}, signal ${signal})`);
      }
    });
  }

  private groupAlive(pgid: number): boolean {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }

  private signalGroups(signal: NodeJS.Signals) {
    for (const { pgid } of this.children) {
      try {
        process.kill(-pgid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM to the workers' process groups (they shut down gracefully), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.children.length === 0) return;
    this.stopping = true;
    this.signalGroups("SIGTERM");
    const deadline = Date.now() + 15_000;
    while (this.children.some((c) => this.groupAlive(c.pgid))) {
      if (Date.now() > deadline) {
        console.log("[worker] did not stop within 15 s: SIGKILL");
        this.signalGroups("SIGKILL");
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.children = [];
  }

  /** Last resort when the bench itself is interrupted: signal the group without waiting. */
  killNow(): void {
    this.stopping = true;
    this.signalGroups("SIGTERM");
  }

  assertAlive(): void {
    if (this.exited) throw new Error(`the worker exited (code ${this.exited.code}, signal ${this.exited.signal})`);
  }

  private onLine(raw: string) {
    if (!raw.trim()) return;
    let level = 50;
    let msg = raw;
    try {
      const j = JSON.parse(raw) as Record<string, unknown> & { level?: number; msg?: string; err?: { message?: string } };
      level = j.level ?? 30;
      // small scalar fields (e.g. {"requeued": 7}) are part of the message
      const extras = Object.entries(j)
        .filter(([k, v]) => !["level", "time", "pid", "hostname", "proc", "scope", "msg"].includes(k) && ["number", "string", "boolean"].includes(typeof v))
        .map(([k, v]) => `${k}=${String(v)}`);
      msg = [[j.msg, j.err?.message].filter(Boolean).join(": ") || raw, extras.length ? `(${extras.join(", ")})` : ""].filter(Boolean).join(" ");
    } catch {
      // not JSON: npm's own warnings count as warnings, anything else (a crash trace) as an error
      level = /^npm warn /i.test(raw) ? 40 : 50;
    }
    this.lines.push({ level, msg, raw });
    if (/^npm warn /i.test(raw)) return; // environment noise, counted but not echoed
    // Echo the first lines; after that only counts (in the summary), so a flood stays readable.
    const n = this.lines.length;
    if (n <= ECHO_LIMIT) {
      const label = level >= 60 ? "FATAL" : level >= 50 ? "ERROR" : level >= 40 ? "WARN" : "INFO";
      const text = msg.replace(/\s+/g, " ");
      console.log(`[worker] ${label} ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
    } else if (n === ECHO_LIMIT + 1) {
      console.log("[worker] … (further worker log lines are counted in the summary, not echoed)");
    }
  }
}

/** Worker log lines grouped by message with ids and numbers blanked, most frequent first. */
export function summarizeLines(lines: WorkerLogLine[], top = 5): { count: number; level: number; message: string }[] {
  const groups = new Map<string, { count: number; level: number; message: string }>();
  for (const l of lines) {
    const message = l.msg
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
      .replace(/\d+(\.\d+)?/g, "N")
      .replace(/\s+/g, " ")
      .slice(0, 160);
    const g = groups.get(message) ?? { count: 0, level: l.level, message };
    g.count++;
    groups.set(message, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count).slice(0, top);
}
