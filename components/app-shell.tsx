import { getServerSession } from "next-auth";
import { authOptions } from "@/server/auth/options";
import { TRPCReactProvider } from "@/trpc/client";
import { SiteHeader } from "./site-header";

/**
 * The signed-in frame: header and a centred main column. proxy.ts has already checked access. The
 * tRPC and React Query providers live here rather than in the root layout, so pages outside the
 * frame (sign-in, not found) do not ship them.
 */
export async function AppShell({ children }: { children: React.ReactNode }) {
  const session = await getServerSession(authOptions);
  const user = session?.user ? { displayName: session.user.displayName, username: session.user.username, isAdmin: session.user.isAdmin } : null;
  return (
    <TRPCReactProvider>
      <SiteHeader user={user} />
      <main className="mx-auto w-full max-w-6xl px-4 py-6 sm:py-8">{children}</main>
    </TRPCReactProvider>
  );
}
