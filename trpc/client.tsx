"use client";

import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/trpc/root";
import { makeQueryClient } from "./query-client";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;
function getQueryClient() {
  if (typeof window === "undefined") return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

/*
 * An unattended tab keeps polling (the inbox, live grants, the admin nav); those calls must not keep
 * the session from going idle (INTERIM_SESSION_IDLE_MINUTES). A call made more than a minute after
 * the last key, pointer or touch on the page says so, and the server does not count it as use.
 */
const BACKGROUND_HEADER = "x-interim-background"; // server/trpc/init.ts
const PRESENCE_MS = 60_000;
let lastPresence = Date.now();
if (typeof window !== "undefined") {
  const seen = () => {
    lastPresence = Date.now();
  };
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart"] as const) window.addEventListener(type, seen, { passive: true, capture: true });
}
const presenceHeaders = (): Record<string, string> => (Date.now() - lastPresence > PRESENCE_MS ? { [BACKGROUND_HEADER]: "1" } : {});

export function TRPCReactProvider({ children }: { children: React.ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson, headers: presenceHeaders })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** The tRPC error code of a failed call ("CONFLICT", "NOT_FOUND", …), if the server sent one. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { code?: string } | undefined)?.code : undefined;
}

/** The message to show a person for a failed call, plus zod's per-field messages if any. */
export function describeError(err: unknown): { message: string; fieldErrors: Record<string, string[] | undefined> | null } {
  if (err instanceof TRPCClientError) {
    const data = err.data as { fieldErrors?: Record<string, string[] | undefined> | null } | undefined;
    const fieldErrors = data?.fieldErrors ?? null;
    const first = fieldErrors ? Object.values(fieldErrors).flat().find(Boolean) : undefined;
    return { message: fieldErrors ? (first ?? "Check the highlighted fields.") : err.message, fieldErrors };
  }
  return { message: err instanceof Error ? err.message : "Something went wrong.", fieldErrors: null };
}
