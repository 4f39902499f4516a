import { encode } from "next-auth/jwt";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { forgetSessionCookies, parseCookieHeader, sessionOfCookieHeader } from "@/server/auth/session-token";

/*
 * The session a tRPC call's cookie names (server/auth/session-token.ts): next-auth's own cookie,
 * decrypted with the app's secret; nothing else counts as a session. Whether the session row still
 * holds is authedProcedure's check (tests/integration/sessions.test.ts).
 */

const SECRET = "unit-test-secret-of-enough-length-0123456789";
const claims = { sub: "user-1", sid: "session-1", username: "alice", dn: "CN=Alice,DC=x", displayName: "Alice", isAdmin: false };
const cookieOf = async (payload: Record<string, unknown>, maxAge = 3600, secret = SECRET) =>
  `other=1; next-auth.session-token=${await encode({ token: payload, secret, maxAge })}; theme=dark`;

beforeAll(() => {
  process.env.NEXTAUTH_SECRET = SECRET;
  delete process.env.NEXTAUTH_URL; // http: the cookie has no __Secure- prefix
});
afterEach(() => forgetSessionCookies());

describe("sessionOfCookieHeader", () => {
  it("reads the user and session id from next-auth's session cookie", async () => {
    const session = await sessionOfCookieHeader(await cookieOf(claims));
    expect(session).toEqual({
      user: { id: "user-1", username: "alice", dn: "CN=Alice,DC=x", displayName: "Alice", isAdmin: false },
      sessionId: "session-1",
    });
  });

  it("gives the same answer from memory for the same cookie, and still honours its expiry", async () => {
    const cookie = await cookieOf(claims, 60);
    const first = await sessionOfCookieHeader(cookie);
    expect(await sessionOfCookieHeader(cookie)).toEqual(first);
    // The remembered claims expire with the cookie: 61 s later the same value names nobody.
    expect(await sessionOfCookieHeader(cookie, Date.now() + 61_000)).toBeNull();
  });

  it("refuses a cookie sealed with another secret, a tampered one, and no cookie at all", async () => {
    expect(await sessionOfCookieHeader(await cookieOf(claims, 3600, "another-secret-of-enough-length-9876543210"))).toBeNull();
    const good = await cookieOf(claims);
    const tampered = good.replace(/session-token=([^;]+)/, (_m, v: string) => `session-token=${v.slice(0, -4)}AAAA`);
    expect(await sessionOfCookieHeader(tampered)).toBeNull();
    expect(await sessionOfCookieHeader("")).toBeNull();
    expect(await sessionOfCookieHeader(null)).toBeNull();
    expect(await sessionOfCookieHeader("next-auth.session-token=garbage")).toBeNull();
  });

  it("needs both the user and the server-side session id in the claims", async () => {
    const { sid: _sid, ...noSession } = claims;
    expect(await sessionOfCookieHeader(await cookieOf(noSession))).toBeNull();
    const { sub: _sub, ...noUser } = claims;
    expect(await sessionOfCookieHeader(await cookieOf(noUser))).toBeNull();
  });

  it("takes the token only from the session cookie, not from a cookie of another name", async () => {
    const token = (await cookieOf(claims)).match(/session-token=([^;]+)/)![1]!;
    expect(await sessionOfCookieHeader(`next-auth.csrf-token=${token}`)).toBeNull();
    expect(await sessionOfCookieHeader(`__Secure-next-auth.session-token=${token}`)).toBeNull();
  });

  it("reads a session cookie sent twice by its last value, as the pages do (a cookie planted for a parent domain or a longer path comes first)", async () => {
    const victim = (await cookieOf(claims)).match(/session-token=([^;]+)/)![1]!;
    const planted = (await cookieOf({ ...claims, sub: "insider", sid: "insider-session" })).match(/session-token=([^;]+)/)![1]!;
    const both = `next-auth.session-token=${planted}; next-auth.session-token=${victim}`;
    expect((await sessionOfCookieHeader(both))?.user.id).toBe("user-1");
    expect((await sessionOfCookieHeader(`next-auth.session-token=junk; next-auth.session-token=${victim}`))?.user.id).toBe("user-1");
  });
});

describe("parseCookieHeader", () => {
  it("splits pairs, trims, unquotes and decodes; the last of a repeated name wins; nothing pollutes the prototype", () => {
    const jar = parseCookieHeader(' a=1; b="two words";c=%41%42; a=3; broken; __proto__=x; d=%E0%A4%A');
    expect({ ...jar }).toEqual({ a: "3", b: "two words", c: "AB", ["__proto__"]: "x", d: "%E0%A4%A" });
    expect(Object.getPrototypeOf(jar)).toBeNull();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
