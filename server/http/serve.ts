import "server-only";
/**
 * The web process: Next.js behind a plain Node HTTP server, which is the one place that sees the
 * TCP peer. It rewrites X-Forwarded-For from the socket (see trustedForwardedFor) before Next
 * runs, so the client IP used for throttling, audit and location rules cannot be forged.
 *   production: `npm run build && npm run start:web` (node dist/web.js: this file compiled by scripts/build-server.mjs)
 *   development: `npx tsx --import ./scripts/lib/server-only.mjs server/http/serve.ts --dev` (npm run dev does it)
 * SIGTERM/SIGINT drain it (./drain.ts) within INTERIM_SHUTDOWN_GRACE_MS.
 */
import "./telemetry-off";
import { createServer } from "node:http";
import next from "next";
import { env } from "@/server/env";
import { startSshGateway } from "@/server/sessions/gateway/ssh-server";
import { attachTerminalSockets } from "@/server/sessions/gateway/websocket";
import { scoped } from "@/server/logger";
import { drain, drainAware } from "./drain";
import { normalizeAddress, trustedForwardedFor } from "./forwarded";
import { timeRequest } from "./request-metrics";
import { forwardedProto } from "./security-headers";
import { handleAuditExport, isAuditExportRequest } from "./audit-export";
import { handleRest, isRestRequest } from "./rest";
import { handleTrpc, isTrpcRequest } from "./trpc";

const dev = process.argv.includes("--dev");
const port = env.PORT;
const hostname = env.BIND_ADDRESS;
const app = next({ dev, hostname, port, dir: process.cwd() });
const handle = app.getRequestHandler();
await app.prepare();
// The GeoIP database (geoip-lite's city data: ~140 MB of memory, ~150 ms to read) is loaded by the
// first request from a public address (server/geo/resolve.ts); one that serves only private
// networks never holds it.

const trustedProxies = new Set(env.TRUSTED_PROXIES.map(normalizeAddress));

const onRequest = drainAware((req, res) => {
  req.headers["x-forwarded-for"] = trustedForwardedFor(req.headers["x-forwarded-for"], req.socket.remoteAddress, env.TRUSTED_PROXIES);
  // Whether the browser used https (HSTS, secure links) is for a TLS-terminating proxy to say.
  const fromTrustedProxy = trustedProxies.has(normalizeAddress(req.socket.remoteAddress ?? ""));
  req.headers["x-forwarded-proto"] = forwardedProto(req.headers["x-forwarded-proto"], fromTrustedProxy);
  timeRequest(req, res);
  // tRPC calls, the REST API and the audit export are answered here, without Next's router
  // (./trpc.ts, ./rest.ts, ./audit-export.ts); everything else is Next's.
  void (isTrpcRequest(req.url)
    ? handleTrpc(req, res)
    : isRestRequest(req.url)
      ? handleRest(req, res)
      : isAuditExportRequest(req.url)
        ? handleAuditExport(req, res)
        : handle(req, res));
});
const server = createServer(onRequest);
// Recorded sessions (issue 14): the browser terminal's WebSocket, and the SSH gateway when a port is set.
const sockets = attachTerminalSockets(server);
const gateway = env.INTERIM_SSH_GATEWAY_PORT ? await startSshGateway({ port: env.INTERIM_SSH_GATEWAY_PORT, host: env.INTERIM_SSH_GATEWAY_BIND }) : undefined;
server.listen(port, hostname, () => scoped("web").info(`Interim on http://${hostname}:${port}${dev ? " (dev)" : ""}`));
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    onRequest.startDraining();
    // Exit 0 either way: the stop was asked for (what had to be cut is logged).
    void drain({ server, sockets, gateway, graceMs: env.INTERIM_SHUTDOWN_GRACE_MS, log: scoped("web") }).then(() => process.exit(0));
  });
}
