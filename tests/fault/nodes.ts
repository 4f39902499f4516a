/**
 * Many nodes for the fault tests: web processes (server/http/serve.ts in production mode, from the
 * `next build` in .next/) and a tRPC client that signs in over HTTP the way a browser does and
 * spreads its calls over the web nodes, falling back to another node while one is restarting.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import superjson from "superjson";
import { startWorker, type WorkerHandle } from "../integration/worker-process";

const root = path.resolve(import.meta.dirname, "../..");

export interface WebHandle {
  port: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

/** Fails loudly when there is no production build to serve. */
export function assertProductionBuild() {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    throw new Error("no production build (.next/BUILD_ID is missing): run `NEXT_TELEMETRY_DISABLED=1 npx next build` (or `npm run build`) first");
  }
}

/** Starts one web process in production mode on `port` and resolves once it listens. */
export async function startWeb(port: number, env: Record<string, string> = {}): Promise<WebHandle> {
  assertProductionBuild();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "server/http/serve.ts"], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      BIND_ADDRESS: "127.0.0.1",
      NEXTAUTH_URL: url,
      APP_URL: url,
      INTERIM_PROCESS: `interim-web-${port}`,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`web :${port} exited (${code}) before answering:\n${out}`))));
  const answering = (async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(`${url}/api/auth/csrf`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`web :${port} did not answer within 60 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await Promise.race([answering, exited]);
  exited.catch(() => {});
  return {
    port,
    url,
    child,
    output: () => out,
    kill: (signal = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}

export class TrpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A session cookie from a real sign-in (next-auth's credentials callback against the DC) on `baseUrl`. */
export async function signInOverHttp(baseUrl: string, username: string, password: string): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";", 1)[0]!)
    .join("; ");
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, username, password, json: "true" }),
  });
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(";", 1)[0]!)
    .find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in of ${username} on ${baseUrl} failed (${res.status}): ${await res.text()}`);
  return session;
}

/** Counts of calls by the node that answered them, and calls that had to move to another node. */
export interface HttpStats {
  byNode: Record<string, number>;
  failovers: number;
}

/**
 * A signed-in person's tRPC calls over HTTP. Each call goes to the node `pick` names and, when
 * that node does not answer (restarting), to the next one: the session is the database's, so any
 * node serves it.
 */
export function trpcOverHttp(nodes: () => string[], cookie: string, stats: HttpStats) {
  let turn = Math.floor(Math.random() * 1000);
  const call = async (path: string, input: unknown, kind: "query" | "mutation"): Promise<unknown> => {
    const urls = nodes();
    const first = turn++ % urls.length;
    let lastErr: unknown;
    for (let i = 0; i < urls.length * 3; i++) {
      const base = urls[(first + i) % urls.length]!;
      if (i > 0) stats.failovers++;
      let res: Response;
      try {
        res =
          kind === "query"
            ? await fetch(`${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`, { headers: { cookie } })
            : await fetch(`${base}/api/trpc/${path}`, {
                method: "POST",
                headers: { cookie, "content-type": "application/json" },
                body: JSON.stringify(superjson.serialize(input)),
              });
      } catch (err) {
        lastErr = err; // refused: the node is down or restarting
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (res.status === 502 || res.status === 503) {
        lastErr = new Error(`${base} answered ${res.status}`);
        continue;
      }
      stats.byNode[base] = (stats.byNode[base] ?? 0) + 1;
      const body = (await res.json()) as {
        result?: { data: Parameters<typeof superjson.deserialize>[0] };
        error?: { json: { message: string; data: { code: string } } };
      };
      if (body.error) throw new TrpcError(body.error.json.data.code, body.error.json.message);
      return superjson.deserialize(body.result!.data);
    }
    throw lastErr;
  };
  return {
    query: (path: string, input: unknown = undefined) => call(path, input, "query"),
    mutation: (path: string, input: unknown) => call(path, input, "mutation"),
  };
}

/**
 * A worker under a supervisor, the way systemd's `Restart=on-failure` runs it: when the process
 * exits non-zero on its own, a new one is started (retrying every second while it cannot start,
 * e.g. while the database is still down). `stop` ends it for good.
 */
export interface SupervisedWorker {
  name: string;
  current: () => WorkerHandle;
  /** How many times it was restarted, and the tail of each crashed process's output. */
  restarts: () => number;
  crashes: string[];
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

export async function superviseWorker(name: string): Promise<SupervisedWorker> {
  const env = { INTERIM_PROCESS: name };
  let handle = await startWorker(env);
  let stopped = false;
  let restarts = 0;
  const crashes: string[] = [];
  let restarting: Promise<void> | undefined;
  const watch = (h: WorkerHandle) =>
    h.child.once("exit", (code) => {
      if (stopped || code === 0 || code === null) return;
      crashes.push(`exit ${code}: ${h.output().slice(-1500)}`);
      restarting = (async () => {
        while (!stopped) {
          await new Promise((r) => setTimeout(r, 1_000));
          if (stopped) return;
          try {
            handle = await startWorker(env);
            restarts++;
            watch(handle);
            return;
          } catch (err) {
            crashes.push(`start failed: ${String(err).slice(-800)}`);
          }
        }
      })();
    });
  watch(handle);
  return {
    name,
    current: () => handle,
    restarts: () => restarts,
    crashes,
    async stop(signal = "SIGTERM") {
      stopped = true;
      await restarting;
      await handle.kill(signal);
    },
  };
}
