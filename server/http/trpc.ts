import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { scoped } from "@/server/logger";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { dynamicSecurityHeaders, isHttps, newNonce, STATIC_SECURITY_HEADERS } from "./security-headers";

/*
 * The tRPC endpoint, answered by server/http/serve.ts itself rather than through Next's router: a
 * call is JSON in, JSON out, and Next's routing, proxy and route runtime cost more per call than the
 * procedure does (issue 15: the roles page's data call). What proxy.ts and next.config.ts give
 * every other response is given here too: the security headers and a CSP with a nonce of its own.
 * Answers are personal, so none is stored by a browser or a proxy.
 */

export const TRPC_PREFIX = "/api/trpc/";
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Calls in one batch (the browser's link sends at most this many: trpc/client.tsx); each is a procedure with its own session check. */
export const MAX_BATCH_SIZE = 50;

/**
 * Mutations come as JSON or not at all. An HTML form on another site can post
 * application/x-www-form-urlencoded, multipart/form-data or text/plain with the visitor's cookies
 * and no CORS preflight; application/json from another origin needs a preflight, which this app
 * never grants. So a POST of any other type is refused before tRPC parses it.
 */
export function postsJson(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase() === "application/json";
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? null);
}

export function isTrpcRequest(url: string | undefined): boolean {
  return url !== undefined && url.startsWith(TRPC_PREFIX);
}

export async function handleTrpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const policy = { nonce: newNonce(), dev: process.env.NODE_ENV === "development", https: isHttps(header(req, "x-forwarded-proto"), process.env.NEXTAUTH_URL) };
  for (const [name, value] of Object.entries({ ...STATIC_SECURITY_HEADERS, ...dynamicSecurityHeaders(policy) })) res.setHeader(name, value);
  res.setHeader("Cache-Control", "no-store");
  if (req.method === "POST" && !postsJson(req.headers["content-type"])) {
    res.statusCode = 415;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ error: { message: "Send tRPC calls as application/json.", code: "UNSUPPORTED_MEDIA_TYPE" } }));
    return;
  }
  await nodeHTTPRequestHandler({
    req,
    res,
    // As tRPC's fetch adapter reads it: not decoded, slashes trimmed.
    path: req.url!.split("?", 1)[0]!.slice(TRPC_PREFIX.length).replace(/\/+$/, ""),
    // Far above any form's input; a larger body is refused with 413 before it is parsed.
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_SIZE,
    router: appRouter,
    createContext: () => createContext({ headers: { get: (name: string) => header(req, name.toLowerCase()) } }),
    // ctx is missing only when createContext itself failed.
    onError({ error, path, ctx }) {
      // Unexpected failures are logged, with the ref the client sees, by server/trpc/init.ts.
      if (error.code === "INTERNAL_SERVER_ERROR") return;
      const log = ctx?.log ?? scoped("trpc");
      log.info({ path, code: error.code, reason: error.message }, "procedure refused");
    },
  });
}
