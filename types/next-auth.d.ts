import type { SessionUser } from "@/server/auth/permissions";

declare module "next-auth" {
  interface Session {
    user: SessionUser;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    username?: string;
    dn?: string;
    displayName?: string;
    isAdmin?: boolean;
  }
}
