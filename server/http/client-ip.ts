import { isIP } from "node:net";

function normalize(ip: string): string {
  const trimmed = ip.trim().replace(/^\[|\]$/g, "");
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address.
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

/**
 * The requester's address from an X-Forwarded-For chain. Hops are read right to left (nearest
 * first); addresses of trusted proxies are skipped and the first other one is the client. With
 * no trusted proxies, only the nearest hop counts, so a client cannot choose its own address.
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
