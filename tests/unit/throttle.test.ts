import { describe, expect, it } from "vitest";
import { decideThrottle, directoryFailures, effectiveUserLimit } from "@/server/auth/throttle";

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

describe("directoryFailures (AD's own badPwdCount)", () => {
  const now = new Date("2026-11-23T12:00:00Z");
  it("counts recent failures from any source", () => {
    expect(directoryFailures(3, new Date("2026-11-23T11:50:00Z"), 30, now)).toBe(3);
  });
  it("ignores a count whose last failure is older than the observation window", () => {
    expect(directoryFailures(4, new Date("2026-11-23T11:00:00Z"), 30, now)).toBe(0);
  });
  it("is zero without a bad password time", () => {
    expect(directoryFailures(2, null, 30, now)).toBe(0);
  });
  it("near lockout, refuses before the bind that would lock", () => {
    const failures = directoryFailures(4, new Date("2026-11-23T11:59:00Z"), 30, now);
    expect(decideThrottle(failures, 0, { maxFailuresPerUser: 3, maxFailuresPerIp: 20, lockoutThreshold: 5 }).allowed).toBe(false);
  });
});
