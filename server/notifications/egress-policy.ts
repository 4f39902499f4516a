import "server-only";
import { isIP } from "node:net";

/*
 * Where a webhook may post: never into the network Interim runs in (SSRF, port scans from inside)
 * unless the operator listed the receiver in INTERIM_WEBHOOK_ALLOW. Pure: the caller resolves names
 * (./egress.ts) and asks here about each address. Addresses are compared as numbers (IPv4: 32 bits,
 * IPv6: 128 bits) so no spelling of an address slips past a string comparison; URLs go through
 * WHATWG parsing first, which already turns 2130706433, 0x7f.1, 017700000001 and 127.1 into 127.0.0.1.
 */

/** Why an address is not a public one. The first four are refused even when allow-listed. */
export type AddressClass =
  "unspecified" | "metadata" | "multicast" | "broadcast" | "loopback" | "private" | "shared (CGNAT)" | "link-local" | "unique-local" | "reserved";

const NEVER_ALLOWED: ReadonlySet<AddressClass> = new Set(["unspecified", "metadata", "multicast", "broadcast"]);

interface Range {
  bits: 32 | 128;
  base: bigint;
  prefix: number;
  class: AddressClass;
}

// ---------------------------------------------------------------- parsing

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text: string): bigint | null {
  let s = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIP(s) !== 6) return null;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const v4 = parseV4(tail[1]!);
    if (v4 === null) return null;
    s = `${s.slice(0, -tail[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = s.split("::") as [string, string | undefined];
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill("0"), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/** The address as a number with its width, or null when `text` is not an IP address. */
export function parseAddress(text: string): { bits: 32 | 128; value: bigint } | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { bits: 32, value: v4 };
  const v6 = parseV6(text);
  return v6 === null ? null : { bits: 128, value: v6 };
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

// ---------------------------------------------------------------- ranges

function range(cidr: string, cls: AddressClass): Range {
  const [addr, len] = cidr.split("/") as [string, string];
  const parsed = parseAddress(addr)!;
  return { bits: parsed.bits, base: parsed.value, prefix: Number(len), class: cls };
}

function inRange(bits: 32 | 128, value: bigint, r: Pick<Range, "bits" | "base" | "prefix">): boolean {
  if (bits !== r.bits) return false;
  const shift = BigInt(r.bits - r.prefix);
  return value >> shift === r.base >> shift;
}

// Most specific first: the metadata addresses sit inside link-local and unique-local.
const RANGES: readonly Range[] = [
  range("169.254.169.254/32", "metadata"), // AWS, GCP, Azure, OpenStack…
  range("168.63.129.16/32", "metadata"), // Azure wire server
  range("100.100.100.200/32", "metadata"), // Alibaba Cloud
  range("fd00:ec2::254/128", "metadata"), // AWS over IPv6
  range("fd20:ce::254/128", "metadata"), // GCP over IPv6
  range("192.0.0.192/32", "metadata"), // Oracle Cloud
  range("255.255.255.255/32", "broadcast"),
  range("0.0.0.0/8", "unspecified"),
  range("10.0.0.0/8", "private"),
  range("100.64.0.0/10", "shared (CGNAT)"),
  range("127.0.0.0/8", "loopback"),
  range("169.254.0.0/16", "link-local"),
  range("172.16.0.0/12", "private"),
  range("192.0.0.0/24", "reserved"), // IETF protocol assignments
  range("192.0.2.0/24", "reserved"), // documentation
  range("192.88.99.0/24", "reserved"), // 6to4 relays
  range("192.168.0.0/16", "private"),
  range("198.18.0.0/15", "private"), // benchmarking
  range("198.51.100.0/24", "reserved"),
  range("203.0.113.0/24", "reserved"),
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved"),
  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("64:ff9b:1::/48", "reserved"), // local-use NAT64
  range("100::/64", "reserved"), // discard-only
  range("2001:db8::/32", "reserved"), // documentation
  range("2001:10::/28", "reserved"), // ORCHID
  range("2001:20::/28", "reserved"), // ORCHIDv2
  range("fc00::/7", "unique-local"),
  range("fe80::/10", "link-local"),
  range("fec0::/10", "private"), // site-local (deprecated)
  range("ff00::/8", "multicast"),
];

/** IPv6 forms that carry an IPv4 address the packet (or a gateway) ends up at. */
function embeddedV4(value: bigint): bigint | null {
  const top96 = value >> 32n;
  const low32 = value & 0xffffffffn;
  if (top96 === 0xffffn) return low32; // ::ffff:a.b.c.d, mapped
  if (top96 === 0xffff0000n) return low32; // ::ffff:0:a.b.c.d, translated (SIIT)
  if (top96 === 0n && value > 1n) return low32; // ::a.b.c.d, compatible (deprecated)
  if (top96 === 0x0064ff9b0000000000000000n) return low32; // 64:ff9b::/96, NAT64
  if (value >> 112n === 0x2002n) return (value >> 80n) & 0xffffffffn; // 2002:aabb:ccdd::/48, 6to4
  if (value >> 96n === 0x20010000n) return low32 ^ 0xffffffffn; // 2001:0::/32, Teredo client (obfuscated)
  return null;
}

export interface AddressVerdict {
  /** Null: a public address. */
  class: AddressClass | null;
  /** The IPv4 address an IPv6 one carries, when that is what made it non-public. */
  via?: string;
}

/** Whether an IP address is public, and if not, what it is. `address` must be an IP (not a name). */
export function classifyAddress(address: string): AddressVerdict {
  const parsed = parseAddress(address);
  if (!parsed) return { class: "reserved" };
  const own = RANGES.find((r) => inRange(parsed.bits, parsed.value, r));
  if (own) return { class: own.class };
  if (parsed.bits === 128) {
    const v4 = embeddedV4(parsed.value);
    if (v4 !== null) {
      const inner = RANGES.find((r) => inRange(32, v4, r));
      if (inner) return { class: inner.class, via: formatV4(v4) };
    }
  }
  return { class: null };
}

// ---------------------------------------------------------------- names

/** Names that point inside whatever they resolve to today. */
function classifyName(host: string): AddressClass | null {
  const name = host.replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  if (["metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"].includes(name)) return "metadata";
  return null;
}

// ---------------------------------------------------------------- the allow-list

export interface AllowList {
  ranges: Pick<Range, "bits" | "base" | "prefix">[];
  /** Host names or literal addresses as in a URL (lowercase, IPv6 in brackets), with an optional port. */
  hosts: { host: string; port: number | null }[];
}

export const EMPTY_ALLOW_LIST: AllowList = { ranges: [], hosts: [] };

/**
 * INTERIM_WEBHOOK_ALLOW's entries: CIDRs or addresses (`10.20.0.0/16`, `fd12::/64`, `127.0.0.1`)
 * allow those addresses on any port; `host` or `host:port` (`hooks.corp.example:8443`,
 * `[::1]:9000`) allows that URL host whatever it resolves to. Throws on an entry it cannot read.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const list: AllowList = { ranges: [], hosts: [] };
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    const address = parseAddress(cidr ? cidr[1]! : entry);
    if (address) {
      const prefix = cidr ? Number(cidr[2]) : address.bits;
      if (prefix > address.bits) throw new Error(`INTERIM_WEBHOOK_ALLOW: ${raw} has a prefix longer than the address`);
      list.ranges.push({ bits: address.bits, base: address.value, prefix });
      continue;
    }
    let url: URL;
    try {
      url = new URL(`http://${entry}`);
    } catch {
      throw new Error(`INTERIM_WEBHOOK_ALLOW: ${raw} is neither a CIDR nor a host[:port]`);
    }
    if (url.pathname !== "/" || url.username || url.search || url.hash) throw new Error(`INTERIM_WEBHOOK_ALLOW: ${raw} is neither a CIDR nor a host[:port]`);
    list.hosts.push({ host: url.hostname.replace(/\.$/, ""), port: /:\d+$/.test(entry) ? Number(url.port || 80) : null });
  }
  return list;
}

function addressAllowed(allow: AllowList, address: string): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  if (allow.ranges.some((r) => inRange(parsed.bits, parsed.value, r))) return true;
  const v4 = parsed.bits === 128 ? embeddedV4(parsed.value) : null;
  return v4 !== null && allow.ranges.some((r) => inRange(32, v4, r));
}

function hostAllowed(allow: AllowList, url: URL): boolean {
  const host = url.hostname.replace(/\.$/, "");
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return allow.hosts.some((h) => h.host === host && (h.port === null || h.port === port));
}

// ---------------------------------------------------------------- verdicts

export type EgressVerdict = { ok: true } | { ok: false; reason: string };

const OK: EgressVerdict = { ok: true };

function describe(address: string, verdict: AddressVerdict): string {
  return verdict.via ? `address ${address} carries ${verdict.via}, which is ${verdict.class}` : `address ${address} is ${verdict.class}`;
}

/** Whether a URL may be posted to, before any name is resolved (at save, and first thing at send). */
export function checkWebhookUrl(raw: string, allow: AllowList): EgressVerdict & { url?: URL } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not a valid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: "only http:// and https:// URLs are allowed" };
  if (url.username || url.password) return { ok: false, reason: "a user name or password in the URL is not allowed" };
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (parseAddress(literal)) {
    const verdict = checkResolved(url, [literal], allow);
    return verdict.ok ? { ok: true, url } : verdict;
  }
  const nameClass = classifyName(url.hostname);
  if (nameClass && (NEVER_ALLOWED.has(nameClass) || !hostAllowed(allow, url))) {
    return { ok: false, reason: `${url.hostname} is a ${nameClass} name` };
  }
  return { ok: true, url };
}

/** Whether every address a URL's host resolved to may be connected to (one bad answer refuses all). */
export function checkResolved(url: URL, addresses: readonly string[], allow: AllowList): EgressVerdict {
  if (addresses.length === 0) return { ok: false, reason: `${url.hostname} has no address` };
  const hostListed = hostAllowed(allow, url);
  for (const address of addresses) {
    const verdict = classifyAddress(address);
    if (verdict.class === null) continue;
    if (!NEVER_ALLOWED.has(verdict.class) && (hostListed || addressAllowed(allow, address))) continue;
    return { ok: false, reason: describe(address, verdict) };
  }
  return OK;
}
