import type { Client } from "ldapts";
import NextAuth from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authOptions } from "@/server/auth/options";
import { adminClient, ensureAdUser, TEST_PASSWORD } from "./fixtures";

/*
 * next-auth's own request handler with Interim's options and a real sign-in against the DC: the
 * Set-Cookie headers it writes when Interim is served over https, and where it sends a browser
 * that brought its own callbackUrl to the API directly. The handler is next-auth's Node one
 * (req/res), fed what Next would feed it; its App Router twin runs the same core.
 */

const PUBLIC_URL = "https://interim.example.com";
const USER = "it-authhttp";

let admin: Client;
let savedUrl: string | undefined;

beforeAll(async () => {
  admin = await adminClient();
  await ensureAdUser(admin, USER);
  // next-auth reads the public URL from the environment on every request.
  savedUrl = process.env.NEXTAUTH_URL;
  process.env.NEXTAUTH_URL = PUBLIC_URL;
});
afterAll(async () => {
  if (savedUrl === undefined) delete process.env.NEXTAUTH_URL;
  else process.env.NEXTAUTH_URL = savedUrl;
  await admin.unbind();
});

interface Answer {
  status: number;
  /** Set-Cookie lines as serialized for the browser, by cookie name. */
  cookies: Map<string, string>;
  location: string | null;
  body: unknown;
}

/** One call of /api/auth/<path>: a response object that records what next-auth writes. */
async function auth(
  path: string,
  opts: { query?: Record<string, string>; body?: Record<string, string>; cookies?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = new Map<string, string | string[]>();
  const answer: Answer = { status: 200, cookies: new Map(), location: null, body: undefined };
  const res = {
    status(code: number) {
      answer.status = code;
      return res;
    },
    setHeader(name: string, value: string | string[]) {
      headers.set(name.toLowerCase(), value);
      return res;
    },
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    json(body: unknown) {
      answer.body = body;
    },
    send(body: unknown) {
      answer.body = body;
    },
    end() {},
  };
  const req = {
    method: opts.body ? "POST" : "GET",
    query: { nextauth: path.split("/"), ...opts.query },
    body: opts.body ?? {},
    cookies: opts.cookies ?? {},
    headers: { host: "interim.example.com", "x-forwarded-for": "192.0.2.40", "user-agent": "vitest" },
  };
  await (NextAuth as unknown as (req: unknown, res: unknown, options: typeof authOptions) => Promise<void>)(req, res, authOptions);
  for (const line of [headers.get("set-cookie") ?? []].flat()) answer.cookies.set(line.split("=", 1)[0]!, line);
  answer.location = (headers.get("location") as string | undefined) ?? null;
  return answer;
}

/** The attributes of a Set-Cookie line, lower-cased ("secure", "httponly", "samesite=lax", "path=/"). */
const attributes = (line: string | undefined) =>
  (line ?? "")
    .split(";")
    .slice(1)
    .map((a) => a.trim().toLowerCase());
const valueOf = (line: string | undefined) => decodeURIComponent((line ?? "").split(";", 1)[0]!.split("=").slice(1).join("="));

async function csrf() {
  const answer = await auth("csrf");
  const line = answer.cookies.get("__Host-next-auth.csrf-token");
  return { token: (answer.body as { csrfToken: string }).csrfToken, line, cookies: { "__Host-next-auth.csrf-token": valueOf(line) } };
}

async function signInWith(callbackUrl: string) {
  const { token, cookies } = await csrf();
  return auth("callback/credentials", { body: { csrfToken: token, username: USER, password: TEST_PASSWORD, callbackUrl, json: "true" }, cookies });
}

const SESSION = "__Secure-next-auth.session-token";

describe("next-auth over https", () => {
  it("sets the CSRF cookie Secure, with the __Host- prefix", async () => {
    const { line } = await csrf();
    expect(line).toBeDefined();
    expect(attributes(line)).toEqual(expect.arrayContaining(["secure", "httponly", "path=/"]));
  });

  it("a real sign-in sets the session cookie Secure, HttpOnly, SameSite=Lax, with the __Secure- prefix", async () => {
    const answer = await signInWith("/roles");
    expect(answer.cookies.get(SESSION)).toBeDefined();
    expect(attributes(answer.cookies.get(SESSION))).toEqual(expect.arrayContaining(["secure", "httponly", "samesite=lax"]));
    // No cookie of the session without the prefix (which a plain-http page could overwrite).
    expect([...answer.cookies.keys()].filter((name) => name.includes("session-token"))).toEqual([SESSION]);
    expect(answer.body).toEqual({ url: `${PUBLIC_URL}/roles` });
  });
});

describe("next-auth's redirect callback keeps the browser on Interim", () => {
  // next-auth's default callback keeps these on the origin in name only: "https://interim…//evil.example"
  // (other origins and schemes it already refuses; tests/unit/callback-url.test.ts covers them).
  const payloads = ["//evil.example/phish", "/\\evil.example", "/.//evil.example", "/..//evil.example"];

  it.each(payloads)("a sign-in posted with callbackUrl %j signs in and lands on Interim's home", async (callbackUrl) => {
    const answer = await signInWith(callbackUrl);
    expect(answer.cookies.get(SESSION)).toBeDefined();
    expect(answer.body).toEqual({ url: `${PUBLIC_URL}/` });
  });

  it("a callbackUrl remembered from /api/auth/signin is the safe one, not the link's", async () => {
    const answer = await auth("signin", { query: { callbackUrl: "/.//evil.example/phish" } });
    const remembered = answer.cookies.get("__Secure-next-auth.callback-url");
    expect(valueOf(remembered)).toBe(`${PUBLIC_URL}/`);
    expect(attributes(remembered)).toContain("secure");
  });
});
