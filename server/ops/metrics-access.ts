import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/server/env";

export type MetricsAccess = "disabled" | "refused" | "allowed";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Who may read the metrics: with INTERIM_METRICS_TOKEN unset nobody (the endpoint does not exist);
 * else only `Authorization: Bearer <token>`. Compared as SHA-256 digests in constant time, so
 * neither the token's bytes nor its length leak through timing.
 */
export function metricsAccess(authorization: string | null | undefined, token = env.INTERIM_METRICS_TOKEN): MetricsAccess {
  if (!token) return "disabled";
  const match = /^Bearer (\S+)$/i.exec(authorization?.trim() ?? "");
  if (!match) return "refused";
  return timingSafeEqual(digest(match[1]!), digest(token)) ? "allowed" : "refused";
}
