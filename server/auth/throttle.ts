import "server-only";
export interface ThrottleLimits {
  maxFailuresPerUser: number;
  maxFailuresPerIp: number;
  /** The domain's lockoutThreshold (0 = no lockout). */
  lockoutThreshold: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; scope: "user" | "ip" };

/**
 * The per-user limit always stays below the domain's lockout threshold, so the app itself can
 * never be the one that locks an AD account, whatever the configuration says.
 */
export function effectiveUserLimit(limits: ThrottleLimits): number {
  if (limits.lockoutThreshold > 0) return Math.max(1, Math.min(limits.maxFailuresPerUser, limits.lockoutThreshold - 1));
  return limits.maxFailuresPerUser;
}

export function decideThrottle(recentUserFailures: number, recentIpFailures: number, limits: ThrottleLimits): ThrottleDecision {
  if (recentUserFailures >= effectiveUserLimit(limits)) return { allowed: false, scope: "user" };
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
