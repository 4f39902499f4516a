import { TRPCReactProvider } from "@/trpc/client";
import { AppFrame } from "./app-frame";

/**
 * The signed-in frame (components/app-frame.tsx) with the tRPC and React Query providers. They live
 * here rather than in the root layout, so pages outside the frame (sign-in, not found) do not ship
 * them; the inbox takes the frame alone (issue 15's 150 KB).
 */
export function AppShell({ children }: { children: React.ReactNode }) {
  return (
    <TRPCReactProvider>
      <AppFrame>{children}</AppFrame>
    </TRPCReactProvider>
  );
}
