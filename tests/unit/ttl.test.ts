import { describe, expect, it } from "vitest";
import { MAX_TTL_SECONDS, membershipFor, parseTtlMemberValue, ttlMemberValue, ttlSecondsFor } from "@/server/directory/ttl";
import { publishPrivilegeInput } from "@/server/privileges/schemas";

const GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const now = new Date("2026-03-01T10:00:00.000Z");

describe("ttlMemberValue", () => {
  it("encodes seconds and the member's GUID as AD expects", () => {
    expect(ttlMemberValue(GUID, 3600)).toBe(`<TTL=3600,<GUID=${GUID}>>`);
  });

  it("lower-cases the GUID, like every other reference Interim writes", () => {
    expect(ttlMemberValue(GUID.toUpperCase(), 1)).toBe(`<TTL=1,<GUID=${GUID}>>`);
  });

  it.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_TTL_SECONDS + 1])("refuses %s seconds", (seconds) => {
    expect(() => ttlMemberValue(GUID, seconds)).toThrow(RangeError);
  });

  it.each(["", "not-a-guid", `{${GUID}}`, GUID.replace(/-/g, ""), `${GUID}>,<TTL=1`, "CN=x,DC=interim,DC=test"])("refuses %j as a GUID", (guid) => {
    expect(() => ttlMemberValue(guid, 60)).toThrow(RangeError);
  });

  it("round-trips through parseTtlMemberValue", () => {
    for (const seconds of [1, 59, 3600, 604_800, MAX_TTL_SECONDS]) {
      expect(parseTtlMemberValue(ttlMemberValue(GUID, seconds))).toEqual({ guid: GUID, seconds });
    }
  });

  it("parses only its own form", () => {
    expect(parseTtlMemberValue(`<GUID=${GUID}>`)).toBeNull();
    expect(parseTtlMemberValue("CN=alice,DC=interim,DC=test")).toBeNull();
    expect(parseTtlMemberValue(`<TTL=0,<GUID=${GUID}>>`)).toBeNull();
    expect(parseTtlMemberValue(`<TTL=-1,<GUID=${GUID}>>`)).toBeNull();
    expect(parseTtlMemberValue(`<TTL=60,<GUID=${GUID}>>;extra`)).toBeNull();
  });
});

describe("ttlSecondsFor", () => {
  it("is the grant's duration when no window clips it", () => {
    expect(ttlSecondsFor({ durationSeconds: 1800, notAfter: null }, now)).toBe(1800);
  });

  it("stops at the access group's window, rounding a fractional second up", () => {
    const notAfter = new Date(now.getTime() + 90_250);
    expect(ttlSecondsFor({ durationSeconds: 3600, notAfter }, now)).toBe(91);
  });

  it("keeps the duration when the window ends later", () => {
    expect(ttlSecondsFor({ durationSeconds: 60, notAfter: new Date(now.getTime() + 3_600_000) }, now)).toBe(60);
  });

  it("is at least one second when the window has just closed (the sweep ends such a grant at once)", () => {
    expect(ttlSecondsFor({ durationSeconds: 60, notAfter: new Date(now.getTime() - 5_000) }, now)).toBe(1);
  });
});

describe("membershipFor", () => {
  const grant = { memberGuid: GUID, durationSeconds: 600, notAfter: null };

  it("adds a TTL value when the grant asks for one and the PAM feature is on", () => {
    expect(membershipFor({ ...grant, mechanism: "ttl" }, { now, pamFeatureEnabled: true })).toEqual({
      mechanism: "ttl",
      ttlSeconds: 600,
      value: `<TTL=600,<GUID=${GUID}>>`,
    });
  });

  it("falls back to a direct membership when the PAM feature is off: never a value the DC rejects", () => {
    expect(membershipFor({ ...grant, mechanism: "ttl" }, { now, pamFeatureEnabled: false })).toEqual({
      mechanism: "direct",
      ttlSeconds: null,
      value: `<GUID=${GUID}>`,
    });
  });

  it("adds direct grants directly, whatever the forest can do", () => {
    expect(membershipFor({ ...grant, mechanism: "direct" }, { now, pamFeatureEnabled: true })).toEqual({
      mechanism: "direct",
      ttlSeconds: null,
      value: `<GUID=${GUID}>`,
    });
  });

  it("refuses a member that is not a GUID on either path", () => {
    expect(() => membershipFor({ ...grant, memberGuid: "CN=x", mechanism: "direct" }, { now, pamFeatureEnabled: false })).toThrow(RangeError);
    expect(() => membershipFor({ ...grant, memberGuid: "CN=x", mechanism: "ttl" }, { now, pamFeatureEnabled: true })).toThrow(RangeError);
  });
});

describe("the privilege inputs' mechanism", () => {
  const base = { groupGuid: GUID, name: "Web admins", maxDurationMinutes: 60, defaultDurationMinutes: 30 };

  it("defaults to a direct membership (forms and scripts that do not say)", () => {
    expect(publishPrivilegeInput.parse(base).mechanism).toBe("direct");
  });

  it("takes the three mechanisms and nothing else", () => {
    for (const mechanism of ["direct", "ttl", "temporary-group"]) expect(publishPrivilegeInput.parse({ ...base, mechanism }).mechanism).toBe(mechanism);
    expect(publishPrivilegeInput.safeParse({ ...base, mechanism: "nested" }).success).toBe(false);
  });
});
