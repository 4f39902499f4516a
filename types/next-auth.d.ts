import type { SessionUser } from "@/server/auth/permissions";

declare module "next-auth" {
  interface Session {
    user: SessionUser;
    /** The server-side session (user_sessions.id) the JWT belongs to. */
    sessionId: string;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    username?: string;
    dn?: string;
    displayName?: string;
    isAdmin?: boolean;
    /** user_sessions.id: checked on every use (server/auth/sessions.ts). */
    sid?: string;
  }
}
