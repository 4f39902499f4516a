import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { exportAudit } from "@/server/audit/export";
import { authorizeExport } from "@/server/audit/export-access";
import { scoped } from "@/server/logger";
import { httpRefusalOf } from "@/server/trpc/http-refusal";
import { dynamicSecurityHeaders, isHttps, newNonce, STATIC_SECURITY_HEADERS } from "./security-headers";

/*
 * GET /api/audit/export?format=csv|jsonl&q=…&action=…&actor=…&targetId=…&from=…&to=… — the audit
 * trail as the page filters it, as a download. Served by server/http/serve.ts before Next, like
 * tRPC: admins only, by the session cookie (server/audit/export-access.ts), with the security
 * headers every answer carries. The body is streamed with backpressure (server/audit/export.ts).
 */

export const AUDIT_EXPORT_PATH = "/api/audit/export";

export function isAuditExportRequest(url: string | undefined): boolean {
  return url !== undefined && url.split("?", 1)[0] === AUDIT_EXPORT_PATH;
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? null);
}

function refuse(res: ServerResponse, status: number, message: string) {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ error: { message } }));
}

/** Resolves when `text` may be followed by more; rejects once the client is gone. */
function writeWithBackpressure(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.reject(new Error("client left"));
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("client left"));
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

export async function handleAuditExport(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const policy = { nonce: newNonce(), dev: process.env.NODE_ENV === "development", https: isHttps(header(req, "x-forwarded-proto"), process.env.NEXTAUTH_URL) };
  for (const [name, value] of Object.entries({ ...STATIC_SECURITY_HEADERS, ...dynamicSecurityHeaders(policy) })) res.setHeader(name, value);
  res.setHeader("Cache-Control", "no-store");
  if (req.method !== "GET") {
    res.setHeader("Allow", "GET");
    return refuse(res, 405, "Use GET.");
  }
  const query = Object.fromEntries(new URL(req.url ?? "/", "http://localhost").searchParams);
  let gate: Awaited<ReturnType<typeof authorizeExport>>;
  try {
    gate = await authorizeExport({ get: (name: string) => header(req, name.toLowerCase()) }, query);
  } catch (err) {
    const refusal = httpRefusalOf(err);
    if (!refusal) {
      scoped("audit-export").error({ err }, "export refused by an unexpected error");
      return refuse(res, 500, "Something went wrong.");
    }
    return refuse(res, refusal.status, refusal.code === "BAD_REQUEST" ? "Invalid export filters." : refusal.message);
  }
  const { user, actor, input, log } = gate;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  res.statusCode = 200;
  res.setHeader("Content-Type", input.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
  res.setHeader("Content-Disposition", `attachment; filename="interim-audit-${stamp}.${input.format}"`);
  res.setHeader("X-Content-Type-Options", "nosniff");
  try {
    const { rows } = await exportAudit(user, actor, input, { write: (text) => writeWithBackpressure(res, text) });
    log.info({ rows, format: input.format }, "audit trail exported");
    res.end();
  } catch (err) {
    // Headers are gone: a cut body is all the client can be told (the trail says complete: false).
    log.warn({ err }, "audit export cut");
    if (!res.headersSent && !res.destroyed) {
      res.removeHeader("Content-Disposition");
      return refuse(res, 500, "Something went wrong.");
    }
    res.destroy();
  }
}
