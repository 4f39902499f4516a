import { describe, expect, it } from "vitest";
import { classOf } from "@/server/drift/directory";
import { classifyMembers, cnOf, isServiceAccount, protectionNote, type GrantFact } from "@/server/drift/policy";

const member = (n: number) => ({ guid: `00000000-0000-0000-0000-00000000000${n}`, sid: null, dn: `CN=m${n},OU=People,DC=x` });
const grant = (n: number, state: string, preExisting = false, id = `g${n}-${state}`, attempts = 1): GrantFact => ({
  id,
  memberGuid: member(n).guid.toUpperCase(),
  state,
  preExisting,
  attempts,
});

describe("classifyMembers", () => {
  it("sorts members into explained, outlived and standing", () => {
    const { explained, unexplained } = classifyMembers(
      [member(1), member(2), member(3), member(4), member(5)],
      [grant(1, "active"), grant(2, "expired"), grant(3, "expired", true), grant(5, "expired"), grant(5, "expiring", false, "g5-later")],
    );
    expect([...explained]).toEqual([member(1).guid, member(5).guid]);
    expect(unexplained.map((u) => [u.member.dn, u.kind, u.lastGrantId])).toEqual([
      ["CN=m2,OU=People,DC=x", "outlived", "g2-expired"],
      // There before its grant: the ended grant does not make it an orphan.
      ["CN=m3,OU=People,DC=x", "standing", "g3-expired"],
      // Never granted: added by hand.
      ["CN=m4,OU=People,DC=x", "standing", null],
    ]);
  });

  it("judges by the latest grant: a pre-existing membership granted again and ended stays standing", () => {
    const { unexplained } = classifyMembers([member(1)], [grant(1, "expired", false, "old"), grant(1, "revoked", true, "new")]);
    expect(unexplained).toMatchObject([{ kind: "standing", lastGrantId: "new" }]);
  });
});

describe("classifyMembers: grants that never touched AD", () => {
  it("keeps a member standing when the last grant never tried to add it (revoked while pending, window closed)", () => {
    const { unexplained } = classifyMembers([member(1), member(2)], [grant(1, "revoked", false, "cancelled", 0), grant(2, "failed", false, "tried", 3)]);
    expect(unexplained.map((u) => [u.lastGrantId, u.kind])).toEqual([
      ["cancelled", "standing"],
      // A failed add may still have reached the DC: outlived.
      ["tried", "outlived"],
    ]);
  });
});

describe("protection", () => {
  const user = { memberClass: "user" as const, sam: "alice", upn: "alice@x.test", cn: "alice" };
  it("never removes nested groups, unreadable members or the service account automatically", () => {
    expect(protectionNote("CN=g,DC=x", { ...user, memberClass: "group" }, "CN=svc,DC=x")).toMatch(/nested group/i);
    expect(protectionNote("CN=u,DC=x", { ...user, memberClass: "unknown" }, "CN=svc,DC=x")).toMatch(/could not read/i);
    expect(protectionNote("CN=S-1-5-21-1-2-3-1105,CN=ForeignSecurityPrincipals,DC=x", { ...user, memberClass: "other" }, "CN=svc,DC=x")).toMatch(
      /foreign security principal/i,
    );
    expect(protectionNote("CN=svc, DC=X", user, "cn=svc,dc=x")).toMatch(/service account/i);
    expect(protectionNote("CN=alice,DC=x", user, "CN=svc,DC=x")).toBeNull();
  });
  it("recognizes the service account by UPN or DOMAIN\\name when LDAP_BIND_DN is not a DN", () => {
    expect(isServiceAccount("CN=whatever", user, "ALICE@x.test")).toBe(true);
    expect(isServiceAccount("CN=whatever", user, "X\\alice")).toBe(true);
    expect(isServiceAccount("CN=whatever", user, "X\\bob")).toBe(false);
  });
});

describe("classOf and cnOf", () => {
  it("picks the class that matters", () => {
    expect(classOf(["top", "group"])).toBe("group");
    expect(classOf(["top", "person", "organizationalPerson", "user", "computer"])).toBe("computer");
    expect(classOf(["top", "person", "organizationalPerson", "user"])).toBe("user");
    expect(classOf(["top", "foreignSecurityPrincipal"])).toBe("other");
  });
  it("reads the CN of a DN, escapes included", () => {
    expect(cnOf("CN=Smith\\, Jo,OU=People,DC=x")).toBe("Smith, Jo");
    expect(cnOf("OU=People,DC=x")).toBe("OU=People,DC=x");
  });
});
