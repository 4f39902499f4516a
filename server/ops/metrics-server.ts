import "server-only";
import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { env } from "@/server/env";
import { metricsAccess } from "./metrics-access";
import { scrape } from "./metrics";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's Prometheus listener (INTERIM_WORKER_METRICS_PORT on INTERIM_WORKER_METRICS_BIND,
 * loopback unless told otherwise): GET /metrics only. When INTERIM_METRICS_TOKEN is set it wants
 * the same Bearer token as the web's /api/metrics; without one the bind address is the protection.
 */
export async function startMetricsServer(
  log: Logger,
  port = env.INTERIM_WORKER_METRICS_PORT,
  host = env.INTERIM_WORKER_METRICS_BIND,
): Promise<MetricsServer | undefined> {
  if (port === undefined) return undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") return void res.writeHead(404).end("Not found");
    if (env.INTERIM_METRICS_TOKEN && metricsAccess(req.headers.authorization) !== "allowed") {
      return void res.writeHead(401, { "www-authenticate": 'Bearer realm="metrics"' }).end("Unauthorized");
    }
    scrape().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" }).end(body),
      (err: Error) => {
        log.warn({ err: err.message }, "metrics scrape failed");
        res.writeHead(500).end("scrape failed");
      },
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const actual = typeof bound === "object" && bound ? bound.port : port;
  log.info({ host, port: actual }, "worker metrics listening");
  return {
    port: actual,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
