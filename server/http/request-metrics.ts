import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { metrics } from "@/server/ops/metrics";

/** Beyond this many distinct route labels everything new is "other": labels cost memory in every scrape. */
const MAX_ROUTES = 300;
const seen = new Set<string>();

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const PROCEDURE = /^[A-Za-z][A-Za-z0-9]{0,40}(\.[A-Za-z][A-Za-z0-9]{0,40}){0,4}$/;
/** A path segment that is a value, not a route: a uuid, a number, a long hex or token, anything odd. */
const VALUE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[0-9a-f]{12,}|.{33,}|.*[^A-Za-z0-9_.-].*)$/i;

/**
 * The `route` label of a request: a pattern, never the raw path. tRPC calls are named by their
 * procedures (a batch by the list), pages by their path with values replaced by `:id`, build
 * assets by their folder; a 404 is "unmatched" (anyone may invent paths). Whatever still gets
 * through (a made-up path under a redirecting area) is capped by MAX_ROUTES.
 */
export function routeLabel(rawUrl: string, status: number): string {
  if (status === 404) return "unmatched";
  const path = (rawUrl.split("?")[0] ?? "/").replace(/\/+$/, "") || "/";
  let label: string;
  if (path.startsWith("/api/trpc/")) {
    const names = decodeSafe(path.slice("/api/trpc/".length)).split(",");
    // 207: a batch whose calls answered differently — one may have named no procedure.
    label = status !== 207 && names.every((n) => PROCEDURE.test(n)) ? `/api/trpc/${names.join(",")}` : "/api/trpc/(other)";
  } else if (path.startsWith("/_next/")) {
    label = path.split("/").slice(0, 3).join("/");
  } else if (path.startsWith("/api/auth/")) {
    label = path.split("/").slice(0, 4).join("/");
  } else {
    label = path
      .split("/")
      .map((segment, i) => (i > 0 && VALUE.test(decodeSafe(segment)) ? ":id" : segment))
      .join("/");
  }
  if (seen.has(label)) return label;
  if (seen.size >= MAX_ROUTES) return "other";
  seen.add(label);
  return label;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return "%";
  }
}

/** Times one request of the web server to its response's end (or the client's hang-up). */
export function timeRequest(req: IncomingMessage, res: ServerResponse) {
  const start = process.hrtime.bigint();
  let done = false;
  const observe = () => {
    if (done) return;
    done = true;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const method = METHODS.has(req.method ?? "") ? req.method! : "other";
    const status = res.writableFinished ? `${Math.floor(res.statusCode / 100)}xx` : "aborted";
    metrics().httpDuration.observe({ route: routeLabel(req.url ?? "/", res.statusCode), method, status }, seconds);
  };
  res.once("finish", observe);
  res.once("close", observe);
}
