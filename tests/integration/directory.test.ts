import type { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceConnection } from "@/server/directory/connection";
import { DirectoryError } from "@/server/directory/errors";
import { detectPamFeature, listDomainControllers, readDomainPolicy } from "@/server/directory/domain";
import { addMembers, findUser, getGroupByGuid, isNestedMember, listGroupMembers, removeMembers, searchGroups } from "@/server/directory/service";
import { resetEnvForTests } from "@/server/env";
import { adminClient, ensureAdGroup, ensureAdUser, ensureTestOuGroup } from "./fixtures";

let admin: Client;
let groupDn: string;
let groupGuid: string;
const users: string[] = [];
const guids: string[] = [];

beforeAll(async () => {
  admin = await adminClient();
  groupDn = await ensureAdGroup(admin, "IT Directory Test");
  groupGuid = (await searchGroups("IT Directory Test")).find((g) => g.dn === groupDn)!.objectGuid;
  for (const sam of ["it-dir-1", "it-dir-2", "it-dir-3"]) {
    users.push(await ensureAdUser(admin, sam));
    guids.push((await findUser(sam))!.objectGuid);
  }
});

const memberDns = async () => (await listGroupMembers({ guid: groupGuid })).map((m) => m.dn).sort();
afterAll(async () => {
  await admin.unbind();
});

describe("directory lookups", () => {
  it("finds a user by sAMAccountName, DOMAIN\\name and UPN, with decoded GUID and SID", async () => {
    const bySam = await findUser("alice");
    expect(bySam?.dn).toMatch(/^CN=alice,/i);
    expect(bySam?.objectGuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(bySam?.objectSid).toMatch(/^S-1-5-21-/);
    expect((await findUser("INTERIM\\alice"))?.dn).toBe(bySam?.dn);
    expect((await findUser("alice@interim.test"))?.dn).toBe(bySam?.dn);
  });

  it("escapes filter input: a wildcard matches nobody instead of everybody", async () => {
    expect(await findUser("*")).toBeNull();
    expect(await findUser("al*")).toBeNull();
  });

  it("checks nested membership through the in-chain matching rule", async () => {
    const carol = await findUser("carol");
    const alice = await findUser("alice");
    const adminGroup = process.env.INTERIM_ADMIN_GROUP_DN!;
    // carol is in "IT Security", which is a member of "Interim Admins".
    expect(await isNestedMember(carol!.dn, adminGroup)).toBe(true);
    expect(await isNestedMember(alice!.dn, adminGroup)).toBe(false);
  });

  it("returns at most the requested number of groups", async () => {
    expect((await searchGroups("", 2)).length).toBe(2);
  });

  it("searches groups and reads one back by GUID", async () => {
    const found = await searchGroups("IT Directory");
    expect(found.map((g) => g.dn)).toContain(groupDn);
    const byGuid = await getGroupByGuid(found.find((g) => g.dn === groupDn)!.objectGuid);
    expect(byGuid?.dn).toBe(groupDn);
  });

  it("lists the domain controllers from their nTDSDSA objects", async () => {
    const dcs = await listDomainControllers();
    expect(dcs.map((d) => d.hostName.toLowerCase())).toContain("dc1.interim.test");
  });

  it("reports the PAM optional feature as off on Samba", async () => {
    expect(await detectPamFeature()).toBe(false);
  });

  it("reads the domain lockout threshold", async () => {
    expect((await readDomainPolicy()).lockoutThreshold).toBe(5);
  });
});

describe("member changes", () => {
  it("adds idempotently by GUID: a second add is success, reported as already done", async () => {
    const first = await addMembers(groupGuid, [guids[0]!]);
    expect(first.applied).toEqual([guids[0]]);
    const second = await addMembers(groupGuid, [guids[0]!]);
    expect(second.alreadyDone).toEqual([guids[0]]);
    expect(await memberDns()).toEqual([users[0]]);
  });

  it("lists members with their GUIDs (extended DN control)", async () => {
    const [member] = await listGroupMembers({ guid: groupGuid });
    expect(member).toMatchObject({ guid: guids[0], dn: users[0] });
    expect(member?.sid).toMatch(/^S-1-5-21-/);
  });

  it("adds a batch containing an existing member by splitting it", async () => {
    const r = await addMembers(groupGuid, guids);
    expect(r.alreadyDone).toEqual([guids[0]]);
    expect(r.applied.sort()).toEqual([guids[1], guids[2]].sort());
    expect(await memberDns()).toEqual([...users].sort());
  });

  it("removes idempotently in one modify, then reports absent members as already done", async () => {
    const r = await removeMembers(groupGuid, guids);
    expect(r.modifies).toBe(1);
    expect(await memberDns()).toEqual([]);
    const again = await removeMembers(groupGuid, guids);
    expect(again.alreadyDone.sort()).toEqual([...guids].sort());
  });

  it("refuses a write outside the service account's delegation with a clear error", async () => {
    const alice = await findUser("alice");
    // A plain group outside the delegated OUs (the admin group would be refused before the directory is asked: identity.ts).
    const { searchEntries } = await admin.search(await ensureTestOuGroup(admin, "IT Outside Delegation"), {
      scope: "base",
      attributes: ["objectGUID"],
      explicitBufferAttributes: ["objectGUID"],
    });
    const { guidToString } = await import("@/server/directory/binary");
    const outsideGuid = guidToString(searchEntries[0]!.objectGUID as Buffer);
    const err = await addMembers(outsideGuid, [alice!.objectGuid]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as DirectoryError).kind).toBe("insufficient-rights");
  });

  it("refuses values that are not GUIDs before sending anything", async () => {
    await expect(addMembers(groupGuid, ["CN=x)(member=*"])).rejects.toThrow(/Not a GUID/);
  });
});

describe("connection failures", () => {
  const saved = { ...process.env };
  const withEnv = async (patch: Record<string, string>, fn: () => Promise<void>) => {
    Object.assign(process.env, patch);
    resetEnvForTests();
    await serviceConnection().reset();
    try {
      await fn();
    } finally {
      process.env = { ...saved };
      resetEnvForTests();
      await serviceConnection().reset();
    }
  };

  it("says the directory is unreachable when no DC answers", async () => {
    await withEnv({ LDAP_URL: "ldaps://127.0.0.1:1" }, async () => {
      const err = await findUser("alice").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DirectoryError);
      expect((err as DirectoryError).kind).toBe("unreachable");
      expect((err as Error).message).toMatch(/unreachable/);
    });
  });

  it("fails over to the next URL when the first DC is down", async () => {
    await withEnv({ LDAP_URL: `ldaps://127.0.0.1:1,${saved.LDAP_URL}` }, async () => {
      expect((await findUser("alice"))?.username).toBe("alice");
    });
  });

  it("says the service account was refused when its password is wrong, without echoing it", async () => {
    // A throwaway account (unlocked by the fixture each run), so the real service account
    // never collects bad-password counts towards the domain's lockout.
    await withEnv({ LDAP_BIND_DN: users[2]!, LDAP_BIND_PASSWORD: "definitely-wrong-secret" }, async () => {
      const err = await findUser("alice").catch((e: unknown) => e);
      expect((err as DirectoryError).kind).toBe("invalid-credentials");
      expect((err as Error).message).not.toContain("definitely-wrong-secret");
    });
  });
});
