import "server-only";
import { isIP } from "node:net";
import { normalizeAddress as normalize } from "./forwarded";

/**
 * The requester's address from an X-Forwarded-For chain as rebuilt by server/http/serve.ts (see
 * trustedForwardedFor). Hops are read right to left (nearest first); trusted proxies are skipped
 * and the first other one is the client.
 */
export function clientIpFrom(forwardedFor: string | null | undefined, trustedProxies: readonly string[]): string {
  const hops = (forwardedFor ?? "")
    .split(",")
    .map(normalize)
    .filter((h) => isIP(h) !== 0);
  if (hops.length === 0) return "unknown";
  const trusted = new Set(trustedProxies.map(normalize));
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.has(hops[i]!)) return hops[i]!;
    if (i === 0) return hops[0]!;
  }
  return hops[0]!;
}
