/**
 * The real worker (`tsx worker/index.ts`) as a child process with the bench's environment.
 * Its log lines (pino JSON, LOG_LEVEL=warn) are echoed with a prefix and kept for the report.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

export interface WorkerLogLine {
  level: number;
  msg: string;
  raw: string;
}

export interface WorkerHandle {
  child: ChildProcess;
  lines: WorkerLogLine[];
  /** Set when the worker exited while the bench still needed it. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
  stop(): Promise<void>;
}

const repoRoot = path.resolve(import.meta.dirname, "../..");

export function startWorker(extraEnv: Record<string, string> = {}): WorkerHandle {
  const child = spawn("npx", ["tsx", "worker/index.ts"], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "warn", INTERIM_PROCESS: "interim-bench-worker", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  const handle: WorkerHandle = {
    child,
    lines: [],
    exited: null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await done;
      clearTimeout(timer);
    },
  };
  let stopping = false;
  let echoed = 0;
  const onLine = (raw: string) => {
    if (!raw.trim()) return;
    let level = 50;
    let msg = raw;
    try {
      const j = JSON.parse(raw) as { level?: number; msg?: string; err?: { message?: string } };
      level = j.level ?? 30;
      msg = [j.msg, j.err?.message].filter(Boolean).join(": ") || raw;
    } catch {
      // not JSON (tsx/npx noise): keep it as an error-level line
    }
    handle.lines.push({ level, msg, raw });
    // Echo the first lines in full; after that only a count at the end, so a flood stays readable.
    const label = level >= 60 ? "FATAL" : level >= 50 ? "ERROR" : level >= 40 ? "WARN" : "INFO";
    const text = msg.replace(/\s+/g, " ");
    if (echoed < 20) console.log(`[worker] ${label} ${text.length > 240 ? `${text.slice(0, 240)}…` : text}`);
    else if (echoed === 20) console.log("[worker] … (further worker log lines are counted, not echoed)");
    echoed++;
  };
  createInterface({ input: child.stdout! }).on("line", onLine);
  createInterface({ input: child.stderr! }).on("line", onLine);
  child.on("exit", (code, signal) => {
    if (!stopping) {
      handle.exited = { code, signal };
      console.log(`[worker] exited unexpectedly (code ${code}, signal ${signal})`);
    }
  });
  return handle;
}
