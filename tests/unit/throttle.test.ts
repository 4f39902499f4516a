import { describe, expect, it } from "vitest";
import { chainedFailures, decideThrottle, directoryFailures, effectiveUserLimit, ipBucket } from "@/server/auth/throttle";

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
  it("keeps one attempt in reserve: threshold 2 allows one failure, threshold 1 allows no bind at all", () => {
    expect(effectiveUserLimit({ ...limits, lockoutThreshold: 2 })).toBe(1);
    expect(decideThrottle(1, 0, { ...limits, lockoutThreshold: 2 })).toEqual({ allowed: false, scope: "user" });
    expect(effectiveUserLimit({ ...limits, lockoutThreshold: 1 })).toBe(0);
    // With threshold 1 any wrong password locks: even a first attempt is refused, and says why.
    expect(decideThrottle(0, 0, { ...limits, lockoutThreshold: 1 })).toEqual({ allowed: false, scope: "policy" });
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

describe("chainedFailures (our own record, counted as AD counts)", () => {
  const now = new Date("2026-11-23T12:00:00Z");
  const at = (min: number) => new Date(now.getTime() - min * 60_000);
  it("keeps counting failures less than a window apart, even beyond the last window", () => {
    // 30-minute window: failures 50 and 25 minutes ago are chained (25 apart), AD still counts both.
    expect(chainedFailures([at(25), at(50)], 30, now)).toBe(2);
  });
  it("stops at a gap longer than the window (AD restarts its count there)", () => {
    expect(chainedFailures([at(10), at(20), at(60)], 30, now)).toBe(2);
  });
  it("is zero when the newest failure is older than the window", () => {
    expect(chainedFailures([at(31)], 30, now)).toBe(0);
  });
});

describe("ipBucket", () => {
  it("keeps IPv4 addresses whole", () => {
    expect(ipBucket("192.0.2.10")).toBe("192.0.2.10");
    expect(ipBucket("192.0.2.11")).not.toBe(ipBucket("192.0.2.10"));
  });
  it("counts an IPv6 /64 as one bucket, whatever the spelling", () => {
    const a = ipBucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    expect(a).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:db8:1:2::1")).toBe(a);
    expect(ipBucket("2001:0DB8:0001:0002:ffff::")).toBe(a);
    expect(ipBucket("[2001:db8:1:2::99]")).toBe(a);
    expect(ipBucket("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(ipBucket("2001:db8:1:3::1")).not.toBe(a);
  });
  it("counts an IPv4-mapped IPv6 address as its IPv4 address", () => {
    expect(ipBucket("::ffff:192.0.2.10")).toBe("192.0.2.10");
  });
});
