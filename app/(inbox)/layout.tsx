import { AppFrame } from "@/components/app-frame";

// The inbox calls through trpc/call.ts: no React Query or tRPC providers (nor their code) on its first load.
export default function Layout({ children }: { children: React.ReactNode }) {
  return <AppFrame>{children}</AppFrame>;
}
