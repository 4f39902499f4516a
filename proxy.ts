import { withAuth, type NextRequestWithAuth } from "next-auth/middleware";
import { NextResponse, type NextFetchEvent } from "next/server";
import { dynamicSecurityHeaders, contentSecurityPolicy, isHttps, newNonce } from "@/server/http/security-headers";

// next-auth's middleware is wrapped: Next 16's proxy must be a function named `proxy`.
const guard = withAuth({
  pages: { signIn: "/signin" },
  callbacks: {
    authorized({ token, req }) {
      if (!token) return false;
      if (req.nextUrl.pathname.startsWith("/admin")) return token.isAdmin === true;
      return true;
    },
  },
});

// The signed-in areas (what the matcher listed before it had to cover every response).
const GUARDED = /^\/(admin|roles|inbox)(\/|$)/;

/**
 * Every page and API response gets a Content-Security-Policy with a nonce of its own; the nonce
 * rides on the request (the CSP request header, which is where Next looks for it, and x-nonce)
 * so Next puts it on the scripts of this very response. A client's own values for those request
 * headers are overwritten, never passed on.
 */
export async function proxy(req: NextRequestWithAuth, event: NextFetchEvent) {
  const options = {
    nonce: newNonce(),
    dev: process.env.NODE_ENV === "development",
    // NEXTAUTH_URL is read as next-auth reads it (from the environment, at request time).
    https: isHttps(req.headers.get("x-forwarded-proto"), process.env.NEXTAUTH_URL),
  };
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", options.nonce);
  requestHeaders.set("content-security-policy", contentSecurityPolicy(options));
  requestHeaders.delete("content-security-policy-report-only");

  // The guard answers only to refuse (a redirect to /signin); otherwise the request goes on.
  const refused = GUARDED.test(req.nextUrl.pathname) ? await guard(req, event) : undefined;
  const res = refused instanceof Response ? refused : NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(dynamicSecurityHeaders(options))) res.headers.set(name, value);
  return res;
}

// Everything but build assets (immutable files: next.config.ts gives them the static headers).
export const config = { matcher: ["/((?!_next/static|_next/image).*)"] };
