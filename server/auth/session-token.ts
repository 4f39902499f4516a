import "server-only";
import { decode, getToken, type JWT, type JWTDecodeParams } from "next-auth/jwt";
import type { SessionUser } from "./permissions";

/*
 * Who a request's session cookie names, for tRPC calls (server/trpc/init.ts createContext). This is
 * the cookie's word only: authedProcedure then confirms the session row and the AD account on every
 * call (server/auth/sessions.ts confirmSession), which is what makes an ended session, an offboarded
 * account or a signed-out tab fail at once.
 *
 * next-auth's getServerSession would do more per call than the question needs: decrypt the cookie,
 * run the jwt callback (a second session lookup), encrypt a fresh cookie it cannot set from a route,
 * each deriving its key with HKDF. Here the cookie is decrypted by next-auth's own `decode`, once per
 * distinct cookie value: the same value always decrypts to the same claims, so the claims are kept
 * (bounded) and only their expiry is checked again at each use. A value that fails to decrypt is not
 * kept. Only the cookie counts — not an `Authorization: Bearer` header, which getToken would also take.
 */

/** Distinct session cookies remembered per web process (about 1 KB each); the oldest go first. */
const MAX_REMEMBERED = 5000;
const remembered = new Map<string, JWT>();

async function rememberedDecode(params: JWTDecodeParams): Promise<JWT | null> {
  const { token } = params;
  if (!token) return null;
  const known = remembered.get(token);
  if (known) return known;
  const claims = await decode(params);
  if (!claims) return null;
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  remembered.set(token, claims);
  return claims;
}

export interface CookieSession {
  user: SessionUser;
  sessionId: string;
}

/**
 * The Cookie header's pairs by name. A name sent twice keeps its last value, as Next's cookies(),
 * proxy.ts's withAuth and /api/auth/session read it: a cookie planted for a parent domain or a longer
 * path (sent first) cannot make tRPC act as someone other than the person the pages show.
 */
export function parseCookieHeader(header: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at < 0) continue;
    const name = pair.slice(0, at).trim();
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      /* kept as sent */
    }
    if (name) out[name] = value;
  }
  return out;
}

/** The session the request's Cookie header carries, or null (none, not ours, expired, malformed). */
export async function sessionOfCookieHeader(cookieHeader: string | null | undefined, now = Date.now()): Promise<CookieSession | null> {
  if (!cookieHeader) return null;
  // headers: {} keeps getToken from reading a bearer token; cookie names and chunks are next-auth's own rules.
  const claims = await getToken({ req: { cookies: parseCookieHeader(cookieHeader), headers: {} } as never, decode: rememberedDecode });
  if (!claims || typeof claims.sub !== "string" || typeof claims.sid !== "string") return null;
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= now) return null;
  return {
    user: {
      id: claims.sub,
      username: String(claims.username),
      dn: String(claims.dn),
      displayName: String(claims.displayName),
      isAdmin: claims.isAdmin === true,
    },
    sessionId: claims.sid,
  };
}

/** For tests: forget every remembered cookie. */
export function forgetSessionCookies(): void {
  remembered.clear();
}
