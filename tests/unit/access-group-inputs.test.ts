import { describe, expect, it } from "vitest";
import { countryList, isKnownCountry } from "@/server/access-groups/countries";
import { approversInput, locationsInput, settingsInput } from "@/server/access-groups/schemas";
import { submitRequestInput } from "@/server/requests/schemas";

const id = "6f1c1d52-2b8e-4c3f-9a51-3f0a1b2c3d4e";
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) => (r.error?.issues ?? []).map((i) => i.message);

describe("countries", () => {
  it.each([
    ["FR", true],
    ["de", true],
    ["XK", true],
    ["EU", false],
    ["UK", false],
    ["QQ", false],
    ["ZZ", false],
  ])("%s is a country: %s", (code, known) => {
    expect(isKnownCountry(code)).toBe(known);
  });

  it("lists every ISO 3166-1 country once, sorted by name", () => {
    const list = countryList();
    expect(list.length).toBeGreaterThanOrEqual(245);
    expect(list.length).toBeLessThanOrEqual(252);
    expect(new Set(list.map((c) => c.code)).size).toBe(list.length);
    expect(list.find((c) => c.code === "FR")?.name).toBe("France");
    const names = list.map((c) => c.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });
});

describe("approvers input", () => {
  const base = { id, version: 1 };
  it("accepts contiguous levels whose requirement the approvers can meet", () => {
    const r = approversInput.safeParse({
      ...base,
      approvers: [
        { userGuid: guid(1), level: 1 },
        { userGuid: guid(2), level: 1 },
        { userGuid: guid(3), level: 2 },
      ],
      levels: [
        { level: 1, requiredApprovals: 2 },
        { level: 2, requiredApprovals: 1 },
      ],
    });
    expect(r.success).toBe(true);
  });

  it.each([
    [
      "a gap in the levels",
      [
        { userGuid: guid(1), level: 1 },
        { userGuid: guid(2), level: 3 },
      ],
      [],
      /level 2 has no approver/,
    ],
    ["more approvals than approvers", [{ userGuid: guid(1), level: 1 }], [{ level: 1, requiredApprovals: 2 }], /cannot need 2/],
    ["a level nobody is on", [{ userGuid: guid(1), level: 1 }], [{ level: 2, requiredApprovals: 1 }], /Level 2 has no approver/],
    [
      "the same person twice",
      [
        { userGuid: guid(1), level: 1 },
        { userGuid: guid(1).toUpperCase(), level: 2 },
      ],
      [],
      /listed twice/,
    ],
  ])("refuses %s", (_what, approvers, levels, message) => {
    const r = approversInput.safeParse({ ...base, approvers, levels });
    expect(r.success).toBe(false);
    expect(messages(r).join(" | ")).toMatch(message);
  });
});

describe("locations input", () => {
  it("refuses a code that is not an ISO 3166-1 country", () => {
    const r = locationsInput.safeParse({ id, version: 1, locations: { restrict: true, allowed: [{ country: "QQ" }] } });
    expect(r.success).toBe(false);
    expect(messages(r)).toContain("QQ is not an ISO 3166-1 country code");
  });
  it("accepts a country with a region of that country", () => {
    const r = locationsInput.safeParse({ id, version: 1, locations: { restrict: true, allowed: [{ country: "fr", region: "fr-idf" }] } });
    expect(r.success && r.data.locations.allowed[0]).toEqual({ country: "FR", region: "FR-IDF" });
  });
});

describe("settings input", () => {
  const valid = { id, version: 3, name: "Ops", description: "", enabled: true, timeZone: "europe/paris", settings: {} };
  it("canonicalises the time zone and fills every setting", () => {
    const r = settingsInput.parse(valid);
    expect(r.timeZone).toBe("Europe/Paris");
    expect(r.settings).toEqual({
      requiresJustification: false,
      requiresApproval: false,
      requiresChangeId: false,
      requiresGovernanceCode: false,
      allowsEmergencyAccess: false,
      approvalInLevels: false,
      autoGrantOnProvisioning: false,
      allowOthersAccounts: false,
      usualDays: [1, 2, 3, 4, 5],
      usualHours: { start: "08:00", end: "18:00" },
    });
  });
  it("refuses a name with control characters and an unknown zone", () => {
    expect(settingsInput.safeParse({ ...valid, name: "a\u0007b" }).success).toBe(false);
    expect(settingsInput.safeParse({ ...valid, timeZone: "Mars/Olympus" }).success).toBe(false);
  });
});

describe("submit request input", () => {
  const privilegeId = id;
  it("refuses fields it does not know", () => {
    const r = submitRequestInput.safeParse({ privilegeId, durationMinutes: 5, accessGroupId: id });
    expect(r.success).toBe(false);
  });
  it("defaults the optional fields and trims codes", () => {
    expect(submitRequestInput.parse({ privilegeId, durationMinutes: 5, changeId: "  CHG-1 " })).toEqual({
      privilegeId,
      credentialId: null,
      durationMinutes: 5,
      justification: "",
      changeId: "CHG-1",
      governanceCode: "",
      emergency: false,
      startsAt: null,
    });
  });
  it("refuses a change ID with a line break", () => {
    expect(submitRequestInput.safeParse({ privilegeId, durationMinutes: 5, changeId: "CHG\n1" }).success).toBe(false);
  });
});
