/**
 * The real worker (`npx tsx worker/index.ts`) as a child process with the bench's environment.
 * Its log lines (pino JSON, LOG_LEVEL=warn) are echoed with a prefix and kept for the report.
 * The bench stops and restarts it between phases; the log is kept across restarts.
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
  private child: ChildProcess | undefined;
  private stopping = false;
  /** Set when the worker exited while the bench still needed it. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  start(): void {
    if (this.running) return;
    this.starts++;
    this.stopping = false;
    this.exited = null;
    const child = spawn("npx", ["tsx", "worker/index.ts"], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: "warn", INTERIM_PROCESS: "interim-bench-worker" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    createInterface({ input: child.stdout! }).on("line", (l) => this.onLine(l));
    createInterface({ input: child.stderr! }).on("line", (l) => this.onLine(l));
    child.on("exit", (code, signal) => {
      if (!this.stopping) {
        this.exited = { code, signal };
        console.log(`[worker] exited unexpectedly (code ${code}, signal ${signal})`);
      }
    });
  }

  /** SIGTERM (the worker shuts down gracefully), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.stopping = true;
    const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await done;
    clearTimeout(timer);
    this.child = undefined;
  }

  assertAlive(): void {
    if (this.exited) throw new Error(`the worker exited (code ${this.exited.code}, signal ${this.exited.signal})`);
  }

  private onLine(raw: string) {
    if (!raw.trim()) return;
    let level = 50;
    let msg = raw;
    try {
      const j = JSON.parse(raw) as { level?: number; msg?: string; err?: { message?: string } };
      level = j.level ?? 30;
      msg = [j.msg, j.err?.message].filter(Boolean).join(": ") || raw;
    } catch {
      // not JSON (npx/tsx noise): keep it, counted as an error line
    }
    this.lines.push({ level, msg, raw });
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
