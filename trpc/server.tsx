import "server-only";
import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache } from "react";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { makeQueryClient } from "./query-client";

/*
 * Server-side prefetch for pages: a server component calls `prefetch(trpc.x.queryOptions(…))` and
 * wraps what reads it in <HydrateClient>, so the page's first HTML carries the data (no "Loading…").
 * The procedures run in this process with the request's own session and headers: the same
 * authorization as a call from the browser. A failed prefetch is left to the browser to retry.
 */

/** One query client per request. */
export const getQueryClient = cache(makeQueryClient);

export const trpc = createTRPCOptionsProxy({
  ctx: async () => createContext({ headers: new Headers(await headers()) }),
  router: appRouter,
  queryClient: getQueryClient,
});

export function HydrateClient({ children }: { children: React.ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}
