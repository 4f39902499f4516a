/**
 * A production web process (`next build` output served by server/http/serve.ts) for the client
 * phases of the bench, and next-auth sign-ins against it: the page HTML a signed-in person gets is
 * what the client-JS sum and Lighthouse measure.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
const buildIdFile = path.join(repoRoot, ".next", "BUILD_ID");

/** Builds once when there is no production build (or BENCH_BUILD=1); returns the build's age in minutes. */
export function ensureBuild(log: (msg: string) => void): number {
  if (process.env.BENCH_BUILD === "1" || !existsSync(buildIdFile)) {
    log("no production build (or BENCH_BUILD=1): next build …");
    execFileSync("npx", ["next", "build"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  }
  return (Date.now() - statSync(buildIdFile).mtimeMs) / 60_000;
}

export class WebServer {
  private child: ChildProcess | undefined;
  readonly baseUrl: string;

  constructor(readonly port: number) {
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    // node directly (not npx) and in a process group of its own, so stop() reaches every process.
    this.child = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "server/http/serve.ts"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        PORT: String(this.port),
        BIND_ADDRESS: "127.0.0.1",
        NEXTAUTH_URL: this.baseUrl,
        APP_URL: this.baseUrl,
        LOG_LEVEL: "warn",
        INTERIM_PROCESS: "interim-bench-web",
        INTERIM_SSH_GATEWAY_PORT: "",
      },
      stdio: ["ignore", "ignore", "inherit"],
      detached: true,
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`web server exited (${this.child.exitCode})`);
      try {
        if ((await fetch(`${this.baseUrl}/api/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`web server not ready on ${this.baseUrl} after ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  }

  /** Signs in through next-auth's credentials endpoint; returns the Cookie header of the session. */
  async signIn(username: string, password: string): Promise<string> {
    const jar = new Map<string, string>();
    const keep = (res: Response) => {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const eq = pair!.indexOf("=");
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
    };
    const header = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const csrfRes = await fetch(`${this.baseUrl}/api/auth/csrf`);
    keep(csrfRes);
    const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
    const res = await fetch(`${this.baseUrl}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: header() },
      body: new URLSearchParams({ csrfToken, username, password, json: "true" }),
      redirect: "manual",
    });
    keep(res);
    const session = (await (await fetch(`${this.baseUrl}/api/auth/session`, { headers: { cookie: header() } })).json()) as { user?: { username?: string } };
    if (session.user?.username !== username) throw new Error(`sign-in as ${username} failed (HTTP ${res.status})`);
    return header();
  }
}
