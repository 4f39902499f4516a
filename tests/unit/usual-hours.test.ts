import { describe, expect, it } from "vitest";
import { isOutsideUsualHours } from "@/server/access-groups/policy/usual-hours";
import { groupSettingsSchema } from "@/server/access-groups/policy/schemas";
import { backoffMs } from "@/server/notifications/dispatch";

const settings = groupSettingsSchema.parse({});

describe("outside usual hours (defaults: Monday to Friday, 08:00–18:00 in the group's zone)", () => {
  it.each([
    ["2026-11-23T07:59:00Z", "UTC", true], // Monday before 08:00
    ["2026-11-23T08:00:00Z", "UTC", false],
    ["2026-11-23T17:59:00Z", "UTC", false],
    ["2026-11-23T18:00:00Z", "UTC", true],
    ["2026-11-28T10:00:00Z", "UTC", true], // Saturday
    ["2026-11-23T07:30:00Z", "Europe/Paris", false], // 08:30 in Paris
    ["2026-11-23T17:30:00Z", "Europe/Paris", true], // 18:30 in Paris
    ["2026-11-23T13:30:00Z", "America/New_York", false], // 08:30 EST
  ])("%s in %s → outside: %s", (at, zone, outside) => {
    expect(isOutsideUsualHours(settings, zone, new Date(at))).toBe(outside);
  });

  it("follows the group's own days and a window across midnight", () => {
    const nights = groupSettingsSchema.parse({ usualDays: [7], usualHours: { start: "22:00", end: "06:00" } });
    expect(isOutsideUsualHours(nights, "UTC", new Date("2026-11-29T23:00:00Z"))).toBe(false); // Sunday 23:00
    expect(isOutsideUsualHours(nights, "UTC", new Date("2026-11-30T05:00:00Z"))).toBe(false); // the window started Sunday
    expect(isOutsideUsualHours(nights, "UTC", new Date("2026-11-30T23:00:00Z"))).toBe(true); // Monday night
  });
});

describe("delivery backoff", () => {
  it("doubles from 5 s and stops growing at 15 minutes", () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(backoffMs(20)).toBe(15 * 60_000);
  });
});
