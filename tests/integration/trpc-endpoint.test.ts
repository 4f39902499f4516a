import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endSessions, startSession } from "@/server/auth/sessions";
import type { SessionUser } from "@/server/auth/permissions";
import { handleTrpc, MAX_BATCH_SIZE } from "@/server/http/trpc";
import { localUser, resetDatabase } from "./fixtures";

/*
 * The tRPC endpoint as the web process serves it (server/http/trpc.ts, outside Next's router): who
 * the session cookie names and whether that session still holds, the headers every answer carries,
 * JSON-only posts and the batch limit. A real HTTP server on loopback, the real router, Postgres and AD.
 */

let server: Server;
let base: string;
let alice: SessionUser;

async function cookieFor(user: SessionUser, sessionId: string) {
  const token = await encode({
    token: { sub: user.id, sid: sessionId, username: user.username, dn: user.dn, displayName: user.displayName, isAdmin: false },
    secret: process.env.NEXTAUTH_SECRET!,
    maxAge: 3600,
  });
  return `next-auth.session-token=${token}`;
}
const mine = (cookie?: string, extra: Record<string, string> = {}) =>
  fetch(`${base}/api/trpc/requests.mine?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, { headers: { ...(cookie ? { cookie } : {}), ...extra } });

beforeAll(async () => {
  delete process.env.NEXTAUTH_URL; // plain http: the cookie without the __Secure- prefix
  await resetDatabase();
  alice = await localUser("alice");
  server = createServer((req, res) => void handleTrpc(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the tRPC endpoint", () => {
  it("answers the person the session cookie names while the session holds, and refuses it once the session ended", async () => {
    const sid = await startSession(alice.id, "127.0.0.1", "vitest");
    const cookie = await cookieFor(alice, sid);
    const ok = await mine(cookie);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { data: { json: { live: unknown[] } } } }).result.data.json.live).toEqual([]);
    await endSessions(alice.id, "signed-out", { type: "user", id: alice.id, name: alice.username }, sid);
    const after = await mine(cookie);
    expect(after.status).toBe(401);
    expect(await after.text()).toMatch(/session/i);
    expect((await mine()).status).toBe(401);
  });

  it("gives every answer the security headers, a fresh CSP nonce and no-store", async () => {
    const [a, b] = [await mine(), await mine()];
    for (const res of [a, b]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    }
    const nonce = (r: Response) => /'nonce-([^']+)'/.exec(r.headers.get("content-security-policy")!)![1];
    expect(nonce(a)).not.toBe(nonce(b));
  });

  it("takes mutations as JSON only (415 before tRPC parses anything)", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""]) {
      const res = await fetch(`${base}/api/trpc/audit.verify`, { method: "POST", headers: { "content-type": type }, body: "{}" });
      expect(res.status, type).toBe(415);
    }
    const json = await fetch(`${base}/api/trpc/audit.verify`, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: "{}" });
    expect(json.status).toBe(401); // past the type check, refused as signed out
  });

  it(`runs at most ${MAX_BATCH_SIZE} calls in one batch`, async () => {
    const sid = await startSession(alice.id, "127.0.0.1", "vitest");
    const cookie = await cookieFor(alice, sid);
    const batch = (n: number) =>
      fetch(`${base}/api/trpc/${Array(n).fill("requests.mine").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`, { headers: { cookie } });
    expect((await batch(MAX_BATCH_SIZE)).status).toBe(200);
    const over = await batch(MAX_BATCH_SIZE + 1);
    expect(over.status).toBe(400);
  });

  it("answers a made-up or traversing procedure path with 404, signed in or not, and runs nothing", async () => {
    const sid = await startSession(alice.id, "127.0.0.1", "vitest");
    const cookie = await cookieFor(alice, sid);
    for (const path of ["%2e%2e/requests.mine", "__proto__", "constructor", "requests.mine.extra", "requests"]) {
      const res = await fetch(`${base}/api/trpc/${path}`, { headers: { cookie } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });
});
