import "server-only";
import { isIP } from "node:net";

/**
 * The X-Forwarded-For the app sees, rebuilt from the socket: a client's own header is kept only
 * when the connection comes from a trusted proxy (which appended to it); otherwise the socket
 * address replaces it, so nobody can choose the address that throttling, audit and location
 * rules see.
 */
export function trustedForwardedFor(received: string | string[] | undefined, remoteAddress: string | undefined, trustedProxies: readonly string[]): string {
  const remote = normalizeAddress(remoteAddress ?? "");
  if (!remote) return "";
  const header = Array.isArray(received) ? received.join(", ") : (received ?? "");
  if (header && trustedProxies.map(normalizeAddress).includes(remote)) return `${header}, ${remote}`;
  return remote;
}

export function normalizeAddress(ip: string): string {
  const trimmed = ip.trim().replace(/^\[|\]$/g, "");
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address.
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}
