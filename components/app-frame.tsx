import { getServerSession } from "next-auth";
import { authOptions } from "@/server/auth/options";
import { SiteHeader } from "./site-header";

/**
 * The signed-in frame: header and a centred main column. proxy.ts has already checked access.
 * Without the tRPC and React Query providers (components/app-shell.tsx adds them): the inbox uses
 * this directly and calls through trpc/call.ts, and a client module a layout imports ships with
 * the route whether it renders or not.
 */
export async function AppFrame({ children }: { children: React.ReactNode }) {
  const session = await getServerSession(authOptions);
  const user = session?.user ? { displayName: session.user.displayName, username: session.user.username, isAdmin: session.user.isAdmin } : null;
  return (
    <>
      <SiteHeader user={user} />
      <main className="mx-auto w-full max-w-6xl px-4 py-6 sm:py-8">{children}</main>
    </>
  );
}
