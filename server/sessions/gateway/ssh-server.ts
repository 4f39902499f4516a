import "server-only";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import ssh2, { type Connection, type Server } from "ssh2";
import { db } from "@/db";
import { deviceSessions, users } from "@/db/schema";
import { confirmAccount } from "@/server/auth/sessions";
import { SigninError, signIn } from "@/server/auth/signin";
import { env } from "@/server/env";
import { DomainError } from "@/server/errors";
import { scoped } from "@/server/logger";
import { looksLikeToken, redeemConnectToken } from "../connect-token";
import type { Pty } from "./device";
import { openSessionOnDevice, SessionRefused } from "./connect";
import type { SessionRelay } from "./relay";

/*
 * The SSH gateway (issue 14): a native SSH client signs in to Interim with the person's AD password
 * (checked like a web sign-in: throttled, audited) or a one-time token from /roles, and lands on
 * the device of a ready session. The user name picks the session: `alice#1a2b3c4d` (the first
 * characters of its id); `alice` alone works when exactly one session is ready.
 */

const log = () => scoped("ssh-gateway");
/** Connections at once (an unauthenticated flood cannot take the process's memory). */
const MAX_CONNECTIONS = 500;
/** A connection must be signed in within this, with at most this many password tries. */
const AUTH_TIMEOUT_MS = 30_000;
const MAX_AUTH_TRIES = 3;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.trunc(Number(n) || lo)));

// ssh2 is CommonJS: Node's ESM loader sees only its default export.
const { Server: SshServer, utils } = ssh2;

function hostKey(): Buffer {
  if (env.INTERIM_SSH_GATEWAY_HOST_KEY_FILE) return readFileSync(env.INTERIM_SSH_GATEWAY_HOST_KEY_FILE);
  const file = path.join(process.cwd(), ".data", "ssh-gateway", "host_key");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, utils.generateKeyPairSync("ed25519").private, { mode: 0o600 });
  }
  return readFileSync(file);
}

/** The person's AD account may still be used (not disabled, locked, expired, deleted): as every web call checks. */
function accountUsable(userId: string) {
  return confirmAccount(userId).then(
    () => true,
    (err: unknown) => !(err instanceof DomainError && err.kind === "unauthenticated"),
  );
}

interface Authenticated {
  userId: string;
  username: string;
  sessionId: string | null;
  /** The AD password typed, reused for a session on the person's own account; null after a token. */
  password: string | null;
  prefix: string | null;
}

async function pickSession(a: Authenticated): Promise<string> {
  if (a.sessionId) return a.sessionId;
  const ready = await db
    .select({ id: deviceSessions.id, login: deviceSessions.login, host: deviceSessions.host })
    .from(deviceSessions)
    .where(and(eq(deviceSessions.userId, a.userId), eq(deviceSessions.state, "ready")))
    .orderBy(desc(deviceSessions.createdAt));
  const chosen = a.prefix ? ready.filter((s) => s.id.startsWith(a.prefix!.toLowerCase())) : ready;
  if (chosen.length === 1) return chosen[0]!.id;
  if (!chosen.length) throw new SessionRefused(a.prefix ? `No ready session ${a.prefix}.` : "You have no ready session. Start one on /roles first.");
  throw new SessionRefused(`Several sessions are ready; pick one: ${chosen.map((s) => `${a.username}#${s.id.slice(0, 8)} (${s.login}@${s.host})`).join(", ")}`);
}

export function startSshGateway(opts: { port: number; host: string }): Promise<Server> {
  const server: Server = new SshServer({ hostKeys: [hostKey()], ident: "Interim-gateway" }, (conn, info) => handle(conn, info.ip));
  server.maxConnections = MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      const bound = server.address() as import("node:net").AddressInfo;
      log().info(`SSH gateway on ${bound.address}:${bound.port}`);
      resolve(server);
    });
  });
}

function handle(conn: Connection, ip: string) {
  let who: Authenticated | null = null;
  let tries = 0;
  conn.on("error", () => {});
  const authTimer = setTimeout(() => !who && conn.end(), AUTH_TIMEOUT_MS);
  conn.on("close", () => clearTimeout(authTimer));
  conn.on("authentication", (ctx) => {
    if (ctx.method !== "password") return ctx.reject(["password"]);
    if (++tries > MAX_AUTH_TRIES) return conn.end();
    const [name, prefix] = ctx.username.split("#", 2);
    const password = ctx.password;
    (async () => {
      const token = await redeemConnectToken(password);
      // A spent or mistyped token is refused here: it never reaches AD as someone's password (no lockout count).
      if (!token && looksLikeToken(password)) return { userId: "", username: name!, sessionId: null, password: null, prefix: null, ok: false };
      if (token) {
        // Who it is comes from our rows, not from the typed user name; the account must still be usable.
        const [person] = await db.select({ username: users.username }).from(users).where(eq(users.id, token.userId));
        const usable = await accountUsable(token.userId);
        return {
          userId: token.userId,
          username: person?.username ?? "?",
          sessionId: token.sessionId,
          password: null,
          prefix: null,
          ok: Boolean(person) && usable,
        };
      }
      const user = await signIn({ username: name, password }, { ip, userAgent: "ssh", requestId: randomUUID() } as never);
      return { userId: user.id, username: user.username, sessionId: null, password, prefix: prefix ?? null, ok: true };
    })()
      .then((a) => {
        if (!a.ok) return ctx.reject();
        who = a;
        ctx.accept();
      })
      .catch((err) => {
        if (!(err instanceof SigninError)) log().error({ err }, "gateway authentication failed");
        ctx.reject();
      });
  });
  conn.on("ready", () => {
    conn.on("session", (accept) => {
      const session = accept();
      let pty: Pty = { term: "xterm-256color", cols: 80, rows: 24 };
      let relay: SessionRelay | null = null;
      session.on("pty", (acceptPty, _reject, info) => {
        pty = { term: /^[\w.+-]{1,40}$/.test(info.term) ? info.term : pty.term, cols: clamp(info.cols, 10, 1000), rows: clamp(info.rows, 5, 500) };
        acceptPty?.();
      });
      session.on("window-change", (acceptWc, _reject, info) => {
        relay?.resize(clamp(info.cols, 10, 1000), clamp(info.rows, 5, 500));
        acceptWc?.();
      });
      const open = (exec?: string) => (acceptChannel: () => import("ssh2").ServerChannel) => {
        const channel = acceptChannel();
        const fail = (message: string) => {
          channel.stderr.write(`[Interim] ${message}\r\n`);
          channel.exit(1);
          channel.end();
        };
        pickSession(who!)
          .then((sessionId) =>
            openSessionOnDevice({
              sessionId,
              userId: who!.userId,
              actor: { type: "user", id: who!.userId, name: who!.username, ip, userAgent: "ssh" },
              via: "ssh",
              pty,
              password: who!.password,
              exec,
              stillAllowed: () => accountUsable(who!.userId),
              person: {
                write: (d) => channel.write(d),
                onDrain: (resume) => channel.on("drain", resume),
                close: (message) => {
                  if (message) channel.write(message);
                  channel.exit(0);
                  channel.end();
                },
              },
            }),
          )
          .then((r) => {
            relay = r;
            channel.on("data", (d: Buffer) => r.input(d));
            channel.on("close", () => r.personLeft());
          })
          .catch((err: unknown) => fail(err instanceof SessionRefused || err instanceof DomainError ? err.message : "The session could not be opened."));
      };
      session.on("shell", (acceptShell) => open()(acceptShell));
      session.on("exec", (acceptExec, _reject, info) => open(info.command)(acceptExec));
    });
  });
}
