import "server-only";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { getToken } from "next-auth/jwt";
import { WebSocketServer, type WebSocket } from "ws";
import { z } from "zod";
import { confirmSession } from "@/server/auth/sessions";
import { env } from "@/server/env";
import { DomainError } from "@/server/errors";
import { clientIpFrom } from "@/server/http/client-ip";
import { trustedForwardedFor } from "@/server/http/forwarded";
import { scoped } from "@/server/logger";
import { openSessionOnDevice, SessionRefused } from "./connect";
import type { SessionRelay } from "./relay";

/*
 * The browser terminal's WebSocket (`/api/sessions/<id>/terminal`), served by the web process
 * next to Next.js: authenticated by the Interim session cookie (the same checks as a tRPC call),
 * same-origin only, then the first frame says the terminal's size (and the password for a session
 * on the person's own account). Binary frames are keystrokes and output; text frames are control.
 */

const PATH = /^\/api\/sessions\/([0-9a-f-]{36})\/terminal$/i;
const startFrame = z.object({
  type: z.literal("start"),
  cols: z.number().int().min(10).max(1000),
  rows: z.number().int().min(5).max(500),
  password: z.string().min(1).max(512).optional(),
});
const resizeFrame = z.object({ type: z.literal("resize"), cols: z.number().int().min(10).max(1000), rows: z.number().int().min(5).max(500) });
const log = () => scoped("gateway");
/** Output waiting for a slow browser beyond this pauses the device. */
const HIGH_WATER = 1 << 20;

/** Same origin only (a page elsewhere cannot drive a person's terminal with their cookie): the Host it came to, or APP_URL. */
function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  return origin === `${proto}://${req.headers.host}` || origin === new URL(env.APP_URL).origin;
}

function refuse(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/** The request's cookies by name: next-auth's getToken reads `req.cookies`, which a bare upgrade request does not have. */
function cookiesOf(req: IncomingMessage): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) continue;
    const value = part.slice(eq + 1).trim();
    try {
      cookies[part.slice(0, eq).trim()] = decodeURIComponent(value);
    } catch {
      cookies[part.slice(0, eq).trim()] = value;
    }
  }
  return cookies;
}

async function authenticate(req: IncomingMessage) {
  const token = await getToken({ req: { headers: req.headers, cookies: cookiesOf(req) } as never, secret: env.NEXTAUTH_SECRET });
  if (!token?.sub) return null;
  const sid = token.sid as string | undefined;
  await confirmSession(token.sub, sid, { touch: true });
  return { userId: token.sub, username: String(token.username ?? ""), sid };
}

/** The sign-in behind a live terminal still holds (an admin ending it, the account disabled in AD close the terminal). */
function signInHolds(userId: string, sid: string | undefined) {
  return confirmSession(userId, sid, { touch: false }).then(
    () => true,
    (err: unknown) => !(err instanceof DomainError && err.kind === "unauthenticated"),
  );
}

function send(ws: WebSocket, frame: object) {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

/** Adds the terminal endpoint to the web server; other upgrades (Next's own in development) are left alone. */
export function attachTerminalSockets(server: Server) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const match = PATH.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (!match) return;
    if (!originAllowed(req)) return refuse(socket, 403, "Forbidden");
    authenticate(req)
      .then((who) => {
        if (!who) return refuse(socket, 401, "Unauthorized");
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req, match[1]!, who));
      })
      .catch((err) => {
        if (!(err instanceof DomainError)) log().error({ err }, "terminal authentication failed");
        refuse(socket, 401, "Unauthorized");
      });
  });
  return wss;
}

function serve(ws: WebSocket, req: IncomingMessage, sessionId: string, who: { userId: string; username: string; sid: string | undefined }) {
  let relay: SessionRelay | null = null;
  let starting = false;
  const startTimer = setTimeout(() => !relay && ws.close(1008, "no start frame"), 30_000);
  // The upgrade skips serve.ts's request handler: the forwarded-for chain is rebuilt from the socket here too.
  const forwarded = trustedForwardedFor(req.headers["x-forwarded-for"], req.socket.remoteAddress, env.TRUSTED_PROXIES);
  const ip = clientIpFrom(forwarded, env.TRUSTED_PROXIES);
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) return relay?.input(Buffer.from(data));
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString("utf8"));
    } catch {
      return;
    }
    const resize = resizeFrame.safeParse(frame);
    if (resize.success) return relay?.resize(resize.data.cols, resize.data.rows);
    const start = startFrame.safeParse(frame);
    if (!start.success || relay || starting) return;
    starting = true;
    openSessionOnDevice({
      sessionId,
      userId: who.userId,
      actor: { type: "user", id: who.userId, name: who.username, ip, userAgent: req.headers["user-agent"] ?? null },
      via: "browser",
      pty: { term: "xterm-256color", cols: start.data.cols, rows: start.data.rows },
      password: start.data.password ?? null,
      stillAllowed: () => signInHolds(who.userId, who.sid),
      person: {
        write: (d) => {
          if (ws.readyState === ws.OPEN) ws.send(typeof d === "string" ? Buffer.from(d) : d, { binary: true });
          return ws.bufferedAmount < HIGH_WATER;
        },
        onDrain: (resume) => {
          // ws has no drain event: look every 50 ms while the browser is behind.
          const timer = setInterval(() => {
            if (ws.readyState !== ws.OPEN) return clearInterval(timer);
            if (ws.bufferedAmount < HIGH_WATER / 4) resume();
          }, 50);
          ws.on("close", () => clearInterval(timer));
        },
        close: (message) => {
          if (message && ws.readyState === ws.OPEN) ws.send(Buffer.from(message), { binary: true });
          send(ws, { type: "end", message: message.replace(/\x1b\[[0-9;]*m/g, "").trim() });
          ws.close(1000);
        },
      },
    })
      .then((r) => {
        clearTimeout(startTimer);
        relay = r;
        send(ws, { type: "ready" });
        if (ws.readyState !== ws.OPEN) r.personLeft();
      })
      .catch((err: unknown) => {
        starting = false;
        const message = err instanceof SessionRefused || err instanceof DomainError ? err.message : "The session could not be opened.";
        if (!(err instanceof SessionRefused || err instanceof DomainError)) log().error({ err, sessionId }, "session open failed");
        send(ws, { type: "error", message });
        ws.close(1011);
      });
  });
  ws.on("close", () => {
    clearTimeout(startTimer);
    relay?.personLeft();
  });
}
