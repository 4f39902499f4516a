/**
 * The SSH gateway as its own process (scripts/ssh-gateway.ts, as `npm run gateway` runs it), so
 * that its CPU time can be read from /proc/<pid>/stat apart from the bench's.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export class GatewayProcess {
  port = 0;
  /** Lines that were not plain info logs (errors, warnings, crash traces), for the report. */
  readonly problems: string[] = [];
  private child: ChildProcess | undefined;

  async start(timeoutMs = 60_000): Promise<void> {
    // node itself (tsx as a loader), not npx: the pid is the gateway's own.
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "scripts/ssh-gateway.ts"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        INTERIM_SSH_GATEWAY_PORT: "0",
        INTERIM_SSH_GATEWAY_BIND: "127.0.0.1",
        LOG_LEVEL: "info",
        INTERIM_PROCESS: "interim-bench-gateway",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let buffered = "";
    const onLine = (line: string) => {
      let level = 50;
      try {
        level = (JSON.parse(line) as { level?: number }).level ?? 30;
      } catch {
        // not JSON: a crash trace
      }
      if (level >= 40 && this.problems.length < 20) this.problems.push(line.slice(0, 500));
    };
    const feed = (d: Buffer) => {
      buffered += d.toString("utf8");
      let i: number;
      while ((i = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        const m = /SSH gateway on [\d.]+:(\d+)/.exec(line);
        if (m) this.port = Number(m[1]);
        if (line.trim()) onLine(line);
      }
    };
    child.stdout!.on("data", feed);
    child.stderr!.on("data", feed);
    const deadline = Date.now() + timeoutMs;
    while (!this.port) {
      if (child.exitCode !== null) throw new Error(`the gateway exited (code ${child.exitCode}): ${this.problems.join(" | ")}`);
      if (Date.now() > deadline) throw new Error(`the gateway did not listen within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** User + system CPU seconds the gateway process has used so far. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  }

  /** Resident memory (MB), from /proc/<pid>/status. */
  rssMb(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  killNow(): void {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGTERM");
  }
}
