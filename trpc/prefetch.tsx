import "server-only";
import { dehydrate, HydrationBoundary, type QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache } from "react";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { makeQueryClient } from "./query-client";

/*
 * Server prefetch for a page: the page's first query runs during the render, with the caller's
 * own session and procedure checks (no shortcut around them), and reaches the browser dehydrated,
 * so the list paints with its rows instead of "Loading…". One query client per request.
 */

const queryClientOfRequest = cache(makeQueryClient);

export const serverTrpc = createTRPCOptionsProxy({
  ctx: async () => createContext({ headers: await headers() }),
  router: appRouter,
  queryClient: queryClientOfRequest,
});

/** Waits for the prefetches (a failed one is left for the browser to retry and report), then renders `children` with their data. */
export async function Prefetched({ children, queries }: { children: React.ReactNode; queries: ((qc: QueryClient) => Promise<void>)[] }) {
  const qc = queryClientOfRequest();
  await Promise.all(queries.map((q) => q(qc)));
  return <HydrationBoundary state={dehydrate(qc)}>{children}</HydrationBoundary>;
}
