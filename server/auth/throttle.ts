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
