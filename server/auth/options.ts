import "server-only";
import type { NextAuthOptions, User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "@/server/env";
import { clientIpFrom } from "@/server/http/client-ip";
import { safeCallbackPath } from "@/shared/callback-url";
import type { SessionUser } from "./permissions";
import { signIn, SigninError } from "./signin";

function header(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 8 * 60 * 60 },
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
        try {
          const user = await signIn(credentials, { ip, userAgent: header(req?.headers, "user-agent") });
          return { ...user, name: user.displayName } satisfies User & SessionUser;
        } catch (err) {
          // next-auth shows the message of an error thrown here on the sign-in page.
          if (err instanceof SigninError) throw new Error(err.message);
          throw err;
        }
      },
    }),
  ],
  callbacks: {
    // The token's isAdmin only shapes the UI and proxy.ts; procedures ask currentAdminStatus().
    jwt({ token, user }) {
      if (user) {
        const u = user as unknown as SessionUser;
        token.sub = u.id;
        token.username = u.username;
        token.dn = u.dn;
        token.displayName = u.displayName;
        token.isAdmin = u.isAdmin;
      }
      return token;
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
      return session;
    },
  },
  secret: process.env.NEXTAUTH_SECRET,
};
