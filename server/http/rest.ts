import "server-only";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import { openApiDocument, REST_PREFIX } from "@/server/api/rest/openapi";
import { restRouter } from "@/server/api/rest/router";
import type { RestContext } from "@/server/trpc/rest";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";
import { clientIpFrom } from "./client-ip";
import { dynamicSecurityHeaders, isHttps, newNonce, STATIC_SECURITY_HEADERS } from "./security-headers";
import { postsJson } from "./trpc";

/*
 * The REST API (/api/v1, issue 16), answered by server/http/serve.ts before Next as tRPC is: the
 * same security headers, no-store, JSON only, a body limit. Authentication is the Bearer token
 * alone: cookies are never read here, so a browser's session cannot be ridden (no CSRF surface).
 */

const MAX_BODY_BYTES = 1024 * 1024;
const OPENAPI_PATH = `${REST_PREFIX}/openapi.json`;

export function isRestRequest(url: string | undefined): boolean {
  return url !== undefined && (url === REST_PREFIX || url.startsWith(`${REST_PREFIX}/`) || url.startsWith(`${REST_PREFIX}?`));
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? null);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify(body));
}

const handler = createOpenApiNodeHttpHandler({
  router: restRouter,
  maxBodySize: MAX_BODY_BYTES,
  createContext: ({ req }): RestContext => {
    const requestId = randomUUID();
    return {
      authorization: header(req, "authorization"),
      ip: clientIpFrom(header(req, "x-forwarded-for"), env.TRUSTED_PROXIES),
      userAgent: header(req, "user-agent"),
      method: req.method ?? "GET",
      path: `${REST_PREFIX}${(req.url ?? "").split("?", 1)[0]}`,
      requestId,
      log: scoped("rest", { requestId }),
    };
  },
  onError({ error, path, ctx }) {
    // Unexpected failures are logged, with the ref the caller sees, by server/api/rest/trpc.ts.
    if (error.code === "INTERNAL_SERVER_ERROR") return;
    (ctx?.log ?? scoped("rest")).info({ path, code: error.code, reason: error.message }, "REST call refused");
  },
});

export async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const policy = { nonce: newNonce(), dev: process.env.NODE_ENV === "development", https: isHttps(header(req, "x-forwarded-proto"), process.env.NEXTAUTH_URL) };
  for (const [name, value] of Object.entries({ ...STATIC_SECURITY_HEADERS, ...dynamicSecurityHeaders(policy) })) res.setHeader(name, value);
  res.setHeader("Cache-Control", "no-store");
  const pathname = (req.url ?? "").split("?", 1)[0]!;
  if (pathname === OPENAPI_PATH && (req.method === "GET" || req.method === "HEAD")) return sendJson(res, 200, openApiDocument());
  if (req.method !== "GET" && req.method !== "HEAD" && req.method !== "DELETE" && req.method !== "OPTIONS") {
    if (!postsJson(req.headers["content-type"])) {
      return sendJson(res, 415, { message: "Send the body as application/json.", code: "UNSUPPORTED_MEDIA_TYPE", fieldErrors: null });
    }
    // trpc-to-openapi reads a body only under this exact type (a charset parameter would drop it).
    req.headers["content-type"] = "application/json";
  }
  req.url = req.url!.slice(REST_PREFIX.length) || "/";
  await handler(req, res);
}
