import { describe, expect, it } from "vitest";
import {
  accessGroupPolicySchema,
  allowedLocationSchema,
  criteriaSchema,
  groupSettingsSchema,
  limitsSchema,
  locationPolicySchema,
  patternSchema,
  timeWindowSchema,
  timeZoneSchema,
} from "@/server/access-groups/policy";

const firstError = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) => {
  const issue = r.error?.issues[0];
  return issue ? [issue.path.join("."), issue.message] : null;
};

describe("patternSchema", () => {
  it.each([
    ["  SRV-*  ", "SRV-*"],
    ["a.b(c)[d]", "a.b(c)[d]"],
  ])("keeps %j as %j", (input, output) => {
    expect(patternSchema.parse(input)).toBe(output);
  });
  it.each(["", "   ", "a\u0000b", "tab\there", "x".repeat(201)])("refuses %j", (input) => {
    expect(patternSchema.safeParse(input).success).toBe(false);
  });
});

describe("criteriaSchema", () => {
  it("defaults every field to no constraint", () => {
    expect(Object.values(criteriaSchema.parse({}))).toEqual(Array(10).fill([]));
  });
  it("puts a bad pattern's error on its field", () => {
    expect(firstError(criteriaSchema.safeParse({ deviceTags: ["ok", " "] }))).toEqual(["deviceTags.1", "Enter a pattern"]);
  });
});

describe("timeZoneSchema", () => {
  it.each([
    ["Europe/Paris", "Europe/Paris"],
    ["europe/paris", "Europe/Paris"],
    ["America/New_York", "America/New_York"],
    ["UTC", "UTC"],
  ])("accepts %j as %j", (input, output) => {
    expect(timeZoneSchema.parse(input)).toBe(output);
  });
  it.each(["", "Mars/Olympus_Mons", "GMT+25"])("refuses %j", (input) => {
    expect(timeZoneSchema.safeParse(input).success).toBe(false);
  });
});

describe("timeWindowSchema", () => {
  it.each([
    [{ start: "00:00", end: "23:59" }, true],
    [{ start: "22:00", end: "06:00" }, true],
    [{ start: "08:00", end: "08:00" }, true],
    [{ start: "24:00", end: "08:00" }, false],
    [{ start: "8:00", end: "18:00" }, false],
    [{ start: "08:60", end: "18:00" }, false],
    [{ start: "08:00", end: "18:00:00" }, false],
  ])("%j → %s", (input, ok) => {
    expect(timeWindowSchema.safeParse(input).success).toBe(ok);
  });
});

describe("limitsSchema", () => {
  it("defaults to no limits", () => {
    expect(limitsSchema.parse({})).toEqual({ validFrom: null, validTo: null, daysOfWeek: [], windows: [] });
  });
  it("sorts and de-duplicates days", () => {
    expect(limitsSchema.parse({ daysOfWeek: [5, 1, 5, 3] }).daysOfWeek).toEqual([1, 3, 5]);
  });
  it.each([
    [{ daysOfWeek: [0] }, "daysOfWeek.0"],
    [{ daysOfWeek: [8] }, "daysOfWeek.0"],
    [{ daysOfWeek: [1.5] }, "daysOfWeek.0"],
    [{ validFrom: "2025-02-30" }, "validFrom"],
    [{ validTo: "30/06/2025" }, "validTo"],
    [{ validFrom: "2025-07-01", validTo: "2025-06-30" }, "validTo"],
  ])("refuses %j on %s", (input, path) => {
    expect(firstError(limitsSchema.safeParse(input))?.[0]).toBe(path);
  });
  it("accepts a one-day validity period", () => {
    expect(limitsSchema.safeParse({ validFrom: "2025-06-30", validTo: "2025-06-30" }).success).toBe(true);
  });
});

describe("location schemas", () => {
  it.each([
    [{ country: "fr" }, { country: "FR" }],
    [
      { country: "FR", region: "fr-idf" },
      { country: "FR", region: "FR-IDF" },
    ],
    [
      { country: "GB", region: "GB-ENG" },
      { country: "GB", region: "GB-ENG" },
    ],
    [
      { country: "US", region: "US-CA" },
      { country: "US", region: "US-CA" },
    ],
  ])("normalises %j", (input, output) => {
    expect(allowedLocationSchema.parse(input)).toEqual(output);
  });
  it.each([
    [{ country: "FRA" }, "country"],
    [{ country: "F1" }, "country"],
    [{ country: "FR", region: "IDF" }, "region"],
    [{ country: "FR", region: "FR-IDFX" }, "region"],
    [{ country: "FR", region: "BE-BRU" }, "region"],
  ])("refuses %j on %s", (input, path) => {
    expect(firstError(allowedLocationSchema.safeParse(input))?.[0]).toBe(path);
  });
  it("asks for a location when restricting", () => {
    expect(firstError(locationPolicySchema.safeParse({ restrict: true, allowed: [] }))).toEqual([
      "allowed",
      "Add at least one location, or turn the restriction off",
    ]);
    expect(locationPolicySchema.parse({})).toEqual({ restrict: false, allowed: [] });
  });
});

describe("groupSettingsSchema", () => {
  it("defaults every flag off and usual hours to office hours", () => {
    const { usualDays, usualHours, ...flags } = groupSettingsSchema.parse({});
    expect(Object.values(flags)).toEqual(Array(8).fill(false));
    expect({ usualDays, usualHours }).toEqual({ usualDays: [1, 2, 3, 4, 5], usualHours: { start: "08:00", end: "18:00" } });
  });
  it("sorts and de-duplicates usual days, refuses a bad time", () => {
    expect(groupSettingsSchema.parse({ usualDays: [5, 1, 5] }).usualDays).toEqual([1, 5]);
    expect(firstError(groupSettingsSchema.safeParse({ usualHours: { start: "8", end: "18:00" } }))?.[0]).toBe("usualHours.start");
  });
  it("refuses approval in levels without approval", () => {
    expect(firstError(groupSettingsSchema.safeParse({ approvalInLevels: true }))?.[0]).toBe("approvalInLevels");
    expect(groupSettingsSchema.safeParse({ approvalInLevels: true, requiresApproval: true }).success).toBe(true);
  });
});

describe("accessGroupPolicySchema", () => {
  it("parses a whole group", () => {
    const g = accessGroupPolicySchema.parse({
      id: "g1",
      name: " DBAs ",
      enabled: true,
      timeZone: "europe/berlin",
      settings: { requiresApproval: true },
      criteria: { privilegeNames: ["SQL*"] },
      limits: { daysOfWeek: [1] },
      locations: { restrict: true, allowed: [{ country: "de" }] },
    });
    expect([g.name, g.timeZone, g.locations.allowed[0]?.country]).toEqual(["DBAs", "Europe/Berlin", "DE"]);
  });
});
