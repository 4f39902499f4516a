import "server-only";
import { randomUUID } from "node:crypto";
import type { NextAuthOptions, User } from "next-auth";
import type { JWT } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "@/server/env";
import { clientIpFrom } from "@/server/http/client-ip";
import { scoped } from "@/server/logger";
import { DomainError } from "@/server/errors";
import { safeCallbackPath } from "@/shared/callback-url";
import type { SessionUser } from "./permissions";
import { confirmSession, endSessions, startSession } from "./sessions";
import { signIn, SigninError } from "./signin";

function header(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/**
 * Every use of a JWT after sign-in (/api/auth/session, getServerSession): its session row must
 * still hold and its account must still be usable in AD. Throwing here makes next-auth clear the
 * cookie and answer with no session. AD unreachable is not a refusal: the token stays (tRPC calls
 * say the directory is unavailable).
 */
async function checkedToken(token: JWT): Promise<JWT> {
  try {
    await confirmSession(String(token.sub), token.sid, { touch: false });
  } catch (err) {
    if (err instanceof DomainError && err.kind === "unavailable") return token;
    throw err;
  }
  return token;
}

export const authOptions: NextAuthOptions = {
  session: {
    strategy: "jwt",
    // The cookie's life; the session row (server/auth/sessions.ts) holds the real limits. Read per request (env is lazy).
    get maxAge() {
      return Math.ceil(env.INTERIM_SESSION_MAX_AGE_HOURS * 3600);
    },
  },
  pages: { signIn: "/signin", error: "/signin" },
  providers: [
    CredentialsProvider({
      name: "Active Directory",
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        const ip = clientIpFrom(header(req?.headers, "x-forwarded-for"), env.TRUSTED_PROXIES);
        const userAgent = header(req?.headers, "user-agent");
        try {
          const user = await signIn(credentials, { ip, userAgent });
          const sessionId = await startSession(user.id, ip, userAgent);
          return { ...user, name: user.displayName, sessionId } satisfies User & SessionUser & { sessionId: string };
        } catch (err) {
          // next-auth shows the message of an error thrown here on the sign-in page.
          if (err instanceof SigninError) throw new Error(err.message);
          // Anything else (the database, a bug) would put its own words in the sign-in page's URL.
          const ref = randomUUID();
          scoped("auth").error({ ref, err }, "sign-in failed unexpectedly");
          throw new Error(`Sign-in is not possible right now; try again shortly (ref ${ref})`);
        }
      },
    }),
  ],
  callbacks: {
    // The token's isAdmin only shapes the UI and proxy.ts; procedures ask currentAdminStatus().
    async jwt({ token, user }) {
      if (user) {
        const u = user as unknown as SessionUser & { sessionId: string };
        token.sub = u.id;
        token.username = u.username;
        token.dn = u.dn;
        token.displayName = u.displayName;
        token.isAdmin = u.isAdmin;
        token.sid = u.sessionId;
        return token;
      }
      return checkedToken(token);
    },
    // next-auth's default keeps any url that starts with "/" ("//evil.example" and "/\evil" too). The
    // sign-in page's rule applies instead, so a callbackUrl posted to /api/auth/* cannot leave the origin.
    redirect({ url, baseUrl }) {
      return `${baseUrl}${safeCallbackPath(url, baseUrl)}`;
    },
    session({ session, token }) {
      session.user = {
        id: String(token.sub),
        username: String(token.username),
        dn: String(token.dn),
        displayName: String(token.displayName),
        isAdmin: token.isAdmin === true,
      };
      session.sessionId = String(token.sid);
      return session;
    },
  },
  events: {
    async signOut({ token }) {
      if (token?.sub && token.sid) await endSessions(token.sub, "signed-out", { type: "user", id: token.sub, name: String(token.username) }, token.sid);
    },
  },
  secret: process.env.NEXTAUTH_SECRET,
};
