import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import type { SessionUser } from "@/server/auth/permissions";
import { startStallProxy, type StallProxy } from "../support/stall-proxy";
import {
  adminClient,
  adRemoveMember,
  ensureAdGroup,
  ensureAdUser,
  isDirectMember,
  localUser,
  openAccessGroup,
  publish,
  requestFor,
  resetDatabase,
  TEST_PASSWORD,
  waitFor,
} from "./fixtures";

/*
 * Issue 15 item 1: SIGTERM drains within 10 s. The processes are the compiled ones (dist/, built
 * here by scripts/build-server.mjs, as `npm run build` does); the web process serves Next in dev
 * mode, because the integration tests run before `next build` in `npm test` (the e2e suite runs
 * the production build). A request or a job "in flight" is one waiting on the real DC behind a
 * relay that stops passing bytes (tests/support/stall-proxy.ts).
 */

const root = path.resolve(import.meta.dirname, "../..");
const WEB_PORT = 3211;
const PROXY_PORT = 3212;
const USER = "it-shutdown-1";
const GROUP = "IT Shutdown Test";

let admin: Client;
let proxy: StallProxy;
let proxiedLdapUrl: string;
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

/** Starts `node dist/<name>.js …` and resolves once its output says `ready`. */
async function startCompiled(name: "web" | "worker", args: string[], env: Record<string, string>, ready: string): Promise<Started> {
  const child = spawn(process.execPath, ["--enable-source-maps", `dist/${name}.js`, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "info", NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on("exit", (code) => resolve({ code, at: Date.now() })));
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await Promise.race([
    waitFor(`${name} ready`, async () => out.includes(ready), 120_000, 200),
    exited.then(({ code }) => {
      throw new Error(`${name} exited (${code}) before it was ready:\n${out}`);
    }),
  ]);
  return { child, output: () => out, exited };
}

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build-server.mjs", "--only", "web,worker"], { cwd: root, stdio: "inherit" });
  const dc = new URL(process.env.LDAP_URL!.split(",")[0]!);
  proxy = await startStallProxy({ host: dc.hostname, port: Number(dc.port || 636) }, PROXY_PORT);
  // Same host name (the certificate's), the relay's port.
  proxiedLdapUrl = `ldaps://${dc.hostname}:${PROXY_PORT}`;
  admin = await adminClient();
  await ensureAdUser(admin, USER);
});
afterEach(async () => {
  proxy.resume();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
afterAll(async () => {
  await proxy.close();
  await admin.unbind();
});

describe("SIGTERM", () => {
  it("the web process stops accepting, finishes the request in flight, and exits within 10 s", async () => {
    const web = await startCompiled(
      "web",
      ["--dev"],
      { PORT: String(WEB_PORT), LDAP_URL: proxiedLdapUrl, INTERIM_PROCESS: "interim-web-shutdown-test" },
      "Interim on http://",
    );
    const base = `http://127.0.0.1:${WEB_PORT}`;
    // next-auth's CSRF token (and the route compiled, in dev mode) before anything is stalled.
    const csrf = await fetch(`${base}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");

    proxy.stall();
    // A sign-in: its bind waits on the stalled DC.
    const signIn = fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrfToken, username: USER, password: TEST_PASSWORD, json: "true" }),
    }).then(async (r) => ({ status: r.status, body: await r.text() }));
    // Its bind opens a connection of its own to the DC (through the relay).
    await waitFor("the sign-in reaching the DC", async () => proxy.openedWhileStalled() > 0, 20_000, 50);

    // And a client that never finishes its request (a slow or hostile one): it must not hold the exit.
    const dangling = connect(WEB_PORT, "127.0.0.1");
    dangling.on("error", () => {});
    await new Promise((r) => dangling.once("connect", r));
    dangling.write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");

    const sentAt = Date.now();
    web.child.kill("SIGTERM");
    await waitFor("the listener closed", async () => !(await accepts(WEB_PORT)), 5_000, 50);
    // The request is still in flight; the DC answers again and it completes.
    proxy.resume();
    const answer = await signIn;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("url");
    const { code, at } = await web.exited;
    expect(at - sentAt).toBeLessThan(10_000);
    expect(code).toBe(0);
  });

  it("the worker hands back the job and the grant lease it holds, and another worker takes them at once", async () => {
    await resetDatabase();
    const groupDn = await ensureAdGroup(admin, GROUP);
    const boss = await localUser("carol", true);
    const privilegeId = (await publish(boss, GROUP, 60)).id;
    const person: SessionUser = await localUser(USER);
    await openAccessGroup(boss, [person]);
    try {
      // A long lease and LDAP timeout: without the hand-back, nothing could retake the grant within this test.
      const common = { GRANT_LEASE_SECONDS: "120", LDAP_TIMEOUT_MS: "60000", INTERIM_SHUTDOWN_GRACE_MS: "3000" };
      const first = await startCompiled("worker", [], { ...common, LDAP_URL: proxiedLdapUrl, INTERIM_PROCESS: "interim-worker-shutdown-a" }, "worker started");
      proxy.stall();
      const { grantId } = await requestFor(person, privilegeId, 300);
      await waitFor("the grant claimed by the first worker", async () => (await grant(grantId)).state === "provisioning", 15_000);

      const sentAt = Date.now();
      first.child.kill("SIGTERM");
      const { code, at } = await first.exited;
      expect(at - sentAt).toBeLessThan(10_000);
      expect(code).toBe(0);
      // Handed back: the lease lapsed, the job unlocked and due now.
      const row = await grant(grantId);
      expect(row.state).toBe("provisioning");
      expect(row.lease_left).toBeLessThanOrEqual(0);
      const [job] = await db.execute<{ locked: boolean; due: boolean }>(
        sql`select locked_at is not null as locked, run_at <= now() as due from graphile_worker._private_jobs where key = ${`grant:activate:${grantId}`}`,
      );
      expect(job, first.output()).toEqual({ locked: false, due: true });

      proxy.resume();
      const second = await startCompiled("worker", [], { ...common, INTERIM_PROCESS: "interim-worker-shutdown-b" }, "worker started");
      await waitFor("the second worker activating the grant", async () => (await grant(grantId)).state === "active", 10_000);
      expect(await isDirectMember(groupDn, person.dn)).toBe(true);
      second.child.kill("SIGTERM");
      await second.exited;
    } finally {
      await adRemoveMember(admin, groupDn, person.dn).catch(() => {});
      await resetDatabase();
    }
  });
});

async function grant(id: string) {
  const [row] = await db.execute<{ state: string; lease_left: number }>(
    sql`select state, extract(epoch from (claimed_at + make_interval(secs => 120) - now()))::float as lease_left from grants where id = ${id}`,
  );
  return row!;
}

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}
