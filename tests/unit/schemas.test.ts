import { describe, expect, it } from "vitest";
import { signinInput } from "@/server/auth/schemas";
import { normalizeLogin } from "@/server/directory/service";
import { publishPrivilegeInput } from "@/server/privileges/schemas";
import { submitRequestInput } from "@/server/requests/schemas";

const guid = "f7cff78d-e967-49ff-a915-643f35b93c99";

describe("publishPrivilegeInput", () => {
  it("accepts a valid privilege", () => {
    const r = publishPrivilegeInput.safeParse({ groupGuid: guid, name: "SQL admins", maxDurationMinutes: 60, defaultDurationMinutes: 30 });
    expect(r.success).toBe(true);
  });
  it("puts the default-over-max error on the default field", () => {
    const r = publishPrivilegeInput.safeParse({ groupGuid: guid, name: "SQL admins", maxDurationMinutes: 30, defaultDurationMinutes: 60 });
    expect(r.success).toBe(false);
    expect(r.error?.flatten().fieldErrors.defaultDurationMinutes).toEqual(["The default cannot exceed the maximum"]);
  });
  it("refuses zero, fractional and over-a-week durations", () => {
    for (const max of [0, 1.5, 7 * 24 * 60 + 1]) {
      expect(publishPrivilegeInput.safeParse({ groupGuid: guid, name: "x1", maxDurationMinutes: max, defaultDurationMinutes: 1 }).success).toBe(false);
    }
  });
});

describe("submitRequestInput", () => {
  it("refuses a non-numeric duration with a readable message", () => {
    const r = submitRequestInput.safeParse({ privilegeId: guid, durationMinutes: "abc" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/number/i);
  });
  it("trims the justification", () => {
    expect(submitRequestInput.parse({ privilegeId: guid, durationMinutes: 5, justification: "  fix  " }).justification).toBe("fix");
  });
});

describe("signinInput", () => {
  it("refuses an empty password before any bind", () => {
    expect(signinInput.safeParse({ username: "alice", password: "" }).success).toBe(false);
  });
  it("keeps spaces in passwords", () => {
    expect(signinInput.parse({ username: " alice ", password: " p w " })).toEqual({ username: "alice", password: " p w " });
  });
  it("refuses LDAP filter metacharacters in usernames", () => {
    expect(signinInput.safeParse({ username: "a*)(cn=*", password: "x" }).success).toBe(false);
  });
});

describe("normalizeLogin", () => {
  it("accepts sam, DOMAIN\\sam and UPN forms", () => {
    expect(normalizeLogin("alice")).toEqual({ sam: "alice", upn: null });
    expect(normalizeLogin("INTERIM\\alice")).toEqual({ sam: "alice", upn: null });
    expect(normalizeLogin("alice@interim.test")).toEqual({ sam: "alice", upn: "alice@interim.test" });
  });
});
