import { withAuth, type NextRequestWithAuth } from "next-auth/middleware";
import type { NextFetchEvent } from "next/server";

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

export function proxy(req: NextRequestWithAuth, event: NextFetchEvent) {
  return guard(req, event);
}

export const config = { matcher: ["/admin/:path*", "/roles/:path*", "/inbox/:path*"] };
