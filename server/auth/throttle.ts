import "server-only";
import { isIPv4, isIPv6 } from "node:net";

export interface ThrottleLimits {
  maxFailuresPerUser: number;
  maxFailuresPerIp: number;
  /** The domain's lockoutThreshold (0 = no lockout). */
  lockoutThreshold: number;
}

/** `policy`: the domain's lockout threshold leaves no attempt that could not lock the account. */
export type ThrottleDecision = { allowed: true } | { allowed: false; scope: "user" | "ip" | "policy" };

/**
 * The per-user limit always stays below the domain's lockout threshold (one attempt always kept in
 * reserve), so the app itself can never be the one that locks an AD account, whatever the
 * configuration says. With a threshold of 1 every wrong password locks: the limit is 0 and
 * Interim binds with no password at all (sign-in is refused and the admin told, see signin.ts).
 */
export function effectiveUserLimit(limits: ThrottleLimits): number {
  if (limits.lockoutThreshold > 0) return Math.max(0, Math.min(limits.maxFailuresPerUser, limits.lockoutThreshold - 1));
  return limits.maxFailuresPerUser;
}

export function decideThrottle(recentUserFailures: number, recentIpFailures: number, limits: ThrottleLimits): ThrottleDecision {
  const userLimit = effectiveUserLimit(limits);
  if (userLimit === 0) return { allowed: false, scope: "policy" };
  if (recentUserFailures >= userLimit) return { allowed: false, scope: "user" };
  if (recentIpFailures >= limits.maxFailuresPerIp) return { allowed: false, scope: "ip" };
  return { allowed: true };
}

/**
 * Failures AD itself still holds against the account (from any source, not only us): its
 * badPwdCount, unless the last bad password is older than the observation window (AD resets
 * the count at the next logon then).
 */
export function directoryFailures(badPwdCount: number, badPasswordTime: Date | null, observationMinutes: number, now = new Date()): number {
  if (!badPasswordTime || badPwdCount <= 0) return 0;
  if (observationMinutes > 0 && now.getTime() - badPasswordTime.getTime() > observationMinutes * 60_000) return 0;
  return badPwdCount;
}

/**
 * Failures AD still counts, from our own record, the way AD counts them: badPwdCount restarts
 * only when a bad password comes after a gap longer than the observation window. So the run of
 * failures (since the last success) whose gaps are all within the window counts, not only those
 * in the last window. `failures`: newest first.
 */
export function chainedFailures(failures: readonly Date[], windowMinutes: number, now = new Date()): number {
  const windowMs = windowMinutes * 60_000;
  let later = now.getTime();
  let n = 0;
  for (const at of failures) {
    if (later - at.getTime() > windowMs) break;
    later = at.getTime();
    n++;
  }
  return n;
}

/**
 * The per-IP bucket: an IPv4 address as is, an IPv6 address by its /64 (one subscriber gets a
 * whole /64, so counting whole addresses would give an attacker 2^64 buckets). IPv4-mapped IPv6
 * counts as its IPv4 address.
 */
export function ipBucket(ip: string): string {
  const bare = ip
    .trim()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  const [head = "", tail = ""] = bare.split("::");
  const part = (s: string) => (s ? s.split(":") : []);
  let groups = [...part(head)];
  const rest = part(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups; only the first four groups matter here anyway.
  const restCount = rest.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  if (bare.includes("::")) groups = [...groups, ...Array<string>(Math.max(0, 8 - groups.length - restCount)).fill("0"), ...rest];
  else groups = [...groups, ...rest];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}
