import { spawn, type ChildProcess } from "node:child_process";

/*
 * Keeps the processes of `npm run dev` / `npm start` running: a child that crashes is started
 * again after a backoff (1 s, 2 s, 4 s … at most 30 s; a child that ran a minute starts the count
 * over) instead of taking the others down. stop() sends SIGTERM to each and waits for them (they
 * drain within 10 s), SIGKILL after `killAfterMs`.
 */

export const BACKOFF_MAX_MS = 30_000;
/** A child that ran this long without crashing is healthy again: its backoff starts over. */
export const HEALTHY_AFTER_MS = 60_000;

/** The delay before restart number `crashes` (1 = the first crash in a row). */
export function restartDelay(crashes: number): number {
  return Math.min(BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, crashes - 1));
}

/** Crashes in a row after one more exit: back to 1 when the child had been up long enough. */
export function crashesAfterExit(previous: number, uptimeMs: number): number {
  return uptimeMs >= HEALTHY_AFTER_MS ? 1 : previous + 1;
}

export interface Supervised {
  name: string;
  current: () => ChildProcess | undefined;
  stop: () => Promise<void>;
}

export function supervise(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { cwd: string; log?: (line: string) => void; killAfterMs?: number },
): Supervised {
  const log = opts.log ?? ((line: string) => console.log(line));
  let child: ChildProcess | undefined;
  let stopping = false;
  let crashes = 0;
  let timer: NodeJS.Timeout | undefined;

  const start = () => {
    const startedAt = Date.now();
    const c = spawn(cmd, args, { cwd: opts.cwd, stdio: "inherit", env });
    child = c;
    c.on("exit", (code, signal) => {
      if (child === c) child = undefined;
      if (stopping) return;
      crashes = crashesAfterExit(crashes, Date.now() - startedAt);
      const delay = restartDelay(crashes);
      log(`[supervisor] ${name} exited (${code ?? signal}); restarting in ${delay / 1000} s (crash ${crashes} in a row)`);
      timer = setTimeout(start, delay);
    });
  };
  start();

  return {
    name,
    current: () => child,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill("SIGKILL"), opts.killAfterMs ?? 12_000);
        c.once("exit", () => (clearTimeout(kill), resolve()));
        c.kill("SIGTERM");
      });
    },
  };
}
