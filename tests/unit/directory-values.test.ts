import { describe, expect, it } from "vitest";
import { adIntervalToMinutes } from "@/server/directory/domain";
import { fileTimeToDate, guidRef, parseExtendedDn } from "@/server/directory/service";

describe("parseExtendedDn", () => {
  it("splits GUID, SID and DN", () => {
    expect(parseExtendedDn("<GUID=60606AAF-772a-4dd6-94ee-f214fbb125eb>;<SID=S-1-5-21-1-2-3-1105>;CN=dave,OU=People,DC=x")).toEqual({
      guid: "60606aaf-772a-4dd6-94ee-f214fbb125eb",
      sid: "S-1-5-21-1-2-3-1105",
      dn: "CN=dave,OU=People,DC=x",
    });
  });
  it("accepts members without a SID (non-security principals) and DNs with semicolons", () => {
    expect(parseExtendedDn("<GUID=60606aaf-772a-4dd6-94ee-f214fbb125eb>;CN=a\\;b,DC=x")).toEqual({
      guid: "60606aaf-772a-4dd6-94ee-f214fbb125eb",
      sid: null,
      dn: "CN=a\\;b,DC=x",
    });
  });
  it("returns null for a plain DN", () => {
    expect(parseExtendedDn("CN=dave,DC=x")).toBeNull();
  });
});

describe("guidRef", () => {
  it("builds the <GUID=…> form AD accepts as a DN", () => {
    expect(guidRef("60606AAF-772A-4DD6-94EE-F214FBB125EB")).toBe("<GUID=60606aaf-772a-4dd6-94ee-f214fbb125eb>");
  });
  it("refuses anything that is not a GUID (no injection through member values)", () => {
    expect(() => guidRef("x>;<SID=S-1-5-32-544")).toThrow(/Not a GUID/);
  });
});

describe("adIntervalToMinutes", () => {
  it("converts AD's negative 100 ns counts", () => {
    expect(adIntervalToMinutes("-18000000000")).toBe(30);
    expect(adIntervalToMinutes(null)).toBe(0);
  });
});

describe("fileTimeToDate", () => {
  it("converts AD FILETIME and treats 0 as never", () => {
    // 116444736000000000 is the Unix epoch in FILETIME; one day is 864000000000 ticks.
    expect(fileTimeToDate("116444736000000000")).toBeNull();
    expect(fileTimeToDate("116445600000000000")?.toISOString()).toBe("1970-01-02T00:00:00.000Z");
    expect(fileTimeToDate("0")).toBeNull();
    expect(fileTimeToDate(null)).toBeNull();
  });
});
