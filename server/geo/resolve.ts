import "server-only";
/**
 * GeoIP: the requester's IP address -> ResolvedLocation, for access-group location rules.
 *
 * The database is the one shipped inside the geoip-lite npm package (data/, GeoLite2 city data);
 * nothing is downloaded, at install or at run time. geoip-lite reads its ~150 MB of data into
 * memory as soon as it is required, so it is required on the first lookup of a public address (or
 * by warmGeoIp()); lookups are synchronous after that. A web process whose callers are all on
 * private networks (an intranet, a proxy not listed in TRUSTED_PROXIES) never loads it. A failure to load it throws: with no database every
 * location-restricted group would refuse, and that must be loud, not a silent "unknown".
 *
 * Unknown (null) is: a missing or malformed address, an address with a zone id (fe80::1%eth0),
 * any non-public address (private, loopback, link-local, CGNAT, ULA, documentation, multicast,
 * reserved), and a public address the database has no country for. Such a requester cannot be
 * placed, so a group that restricts locations refuses it (see evaluateLocation in
 * server/access-groups/policy/locations.ts); a group that does not restrict ignores it.
 * IPv4-mapped IPv6 (::ffff:8.8.8.8, ::ffff:808:808) is unwrapped and judged as the IPv4 address.
 */
import { createRequire } from "node:module";
import { BlockList, isIP } from "node:net";
import type { ResolvedLocation } from "@/server/access-groups/policy/locations";

/** The part of geoip-lite@1.4.10's API used here (it ships no types). */
interface GeoIpLite {
  /** null when no range matches; a record whose country is "" when a range has no location. */
  lookup(ip: string): { country: string; region: string } | null;
}

let database: GeoIpLite | null = null;

function geoIp(): GeoIpLite {
  database ??= createRequire(import.meta.url)("geoip-lite") as GeoIpLite;
  return database;
}

/** Loads the database now rather than on the first request (about 150 ms and 150 MB). */
export function warmGeoIp(): void {
  geoIp();
}

const nonPublic = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  nonPublic.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique local (ULA)
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  nonPublic.addSubnet(net, prefix, "ipv6");
}

/** The eight 16-bit groups of an address that isIP() accepted as IPv6. */
function ipv6Groups(ip: string): number[] {
  // A dotted IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups.
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, tail] = text.split("::"); // isIP allows at most one "::"
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

/** The address to look up: dotted IPv4, or IPv6 with all eight groups written out; null if invalid. */
function canonical(ip: string): { address: string; family: "ipv4" | "ipv6" } | null {
  const version = isIP(ip);
  if (version === 4) return { address: ip, family: "ipv4" };
  if (version !== 6 || ip.includes("%")) return null;
  const groups = ipv6Groups(ip);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return { address: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join("."), family: "ipv4" };
  }
  return { address: groups.map((g) => g.toString(16)).join(":"), family: "ipv6" };
}

export function resolveLocation(ip: string | null | undefined): ResolvedLocation | null {
  const parsed = canonical(ip?.trim() ?? "");
  if (!parsed || nonPublic.check(parsed.address, parsed.family)) return null;
  const record = geoIp().lookup(parsed.address);
  const country = record?.country.trim().toUpperCase();
  if (!record || !country) return null;
  const region = record.region.trim().toUpperCase();
  return { country, region: !region ? null : region.includes("-") ? region : `${country}-${region}` };
}

/** "FR-IDF", "US" or "unknown", for messages and audit entries. */
export function describeLocation(loc: ResolvedLocation | null): string {
  const country = loc?.country.trim().toUpperCase();
  if (!loc || !country) return "unknown";
  const region = loc.region?.trim().toUpperCase();
  if (!region) return country;
  return region.includes("-") ? region : `${country}-${region}`;
}
