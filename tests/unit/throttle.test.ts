import { describe, expect, it } from "vitest";
import { decideThrottle, effectiveUserLimit } from "@/server/auth/throttle";

describe("sign-in throttle", () => {
  const limits = { maxFailuresPerUser: 3, maxFailuresPerIp: 20, lockoutThreshold: 5 };

  it("allows attempts under both limits", () => {
    expect(decideThrottle(2, 19, limits)).toEqual({ allowed: true });
  });
  it("refuses a user at the per-user limit", () => {
    expect(decideThrottle(3, 0, limits)).toEqual({ allowed: false, scope: "user" });
  });
  it("refuses an IP at the per-IP limit", () => {
    expect(decideThrottle(0, 20, limits)).toEqual({ allowed: false, scope: "ip" });
  });
  it("stays below the domain lockout threshold whatever is configured", () => {
    expect(effectiveUserLimit({ ...limits, maxFailuresPerUser: 50, lockoutThreshold: 5 })).toBe(4);
    expect(decideThrottle(4, 0, { ...limits, maxFailuresPerUser: 50 })).toEqual({ allowed: false, scope: "user" });
  });
  it("uses the configured limit when the domain has no lockout", () => {
    expect(effectiveUserLimit({ ...limits, maxFailuresPerUser: 7, lockoutThreshold: 0 })).toBe(7);
  });
  it("never drops below one attempt", () => {
    expect(effectiveUserLimit({ ...limits, lockoutThreshold: 1 })).toBe(1);
  });
});
