import { Attribute, Change, type Client } from "ldapts";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { DACL_SECURITY_INFORMATION, SdFlagsControl } from "@/server/directory/protected";
import { isDaclProtected } from "@/server/directory/security-descriptor";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { cleanupProtectedLeftovers } from "@/server/grants/protected-cleanup";
import { endGrant } from "@/server/grants/service";
import {
  actorFor,
  adAddMember,
  adRemoveMember,
  adminClient,
  ensureAdGroup,
  localUser,
  openAccessGroup,
  PRIVILEGE_OU,
  publish,
  requestFor,
  resetDatabase,
  TEST_PASSWORD,
} from "./fixtures";

/*
 * AdminSDHolder leftovers (issue 5): when a grant to a protected group ends and the account is in
 * no other protected group, adminCount is cleared and inheritance restored, audited. Samba runs no
 * SDProp, so the test marks the groups (adminCount=1) and leaves the leftovers on the account
 * itself. The account lives under OU=Privileges, where the service account may write it (in a
 * real domain it needs "Write adminCount" and "Modify permissions" on the accounts).
 */

const USER_DN = `CN=it-pg-user,${PRIVILEGE_OU}`;
let ad: Client;
let admin: SessionUser;
let user: SessionUser;
let protectedDn: string;
let otherProtectedDn: string;

async function ensureUserInPrivilegeOu() {
  try {
    await ad.search(USER_DN, { scope: "base", attributes: ["cn"] });
  } catch {
    await ad.add(USER_DN, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: "it-pg-user",
      displayName: "Test it-pg-user",
      userAccountControl: "514",
    });
    await ad.modify(USER_DN, [
      new Change({ operation: "replace", modification: new Attribute({ type: "unicodePwd", values: [Buffer.from(`"${TEST_PASSWORD}"`, "utf16le")] }) }),
      new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: ["512"] }) }),
    ]);
  }
}

const sd = new SdFlagsControl(DACL_SECURITY_INFORMATION);

async function leftovers(): Promise<{ adminCount: string | null; daclProtected: boolean }> {
  const {
    searchEntries: [e],
  } = await ad.search(USER_DN, { scope: "base", attributes: ["adminCount", "nTSecurityDescriptor"], explicitBufferAttributes: ["nTSecurityDescriptor"] }, sd);
  const descriptor = e!.nTSecurityDescriptor as Buffer;
  // ldapts gives an absent attribute as [].
  const adminCount = typeof e!.adminCount === "string" ? e!.adminCount : null;
  return { adminCount, daclProtected: isDaclProtected(descriptor) };
}

/** What SDProp would have done to a member of a protected group. */
async function leaveLeftovers() {
  await ad.modify(USER_DN, new Change({ operation: "replace", modification: new Attribute({ type: "adminCount", values: ["1"] }) }));
  const {
    searchEntries: [e],
  } = await ad.search(USER_DN, { scope: "base", attributes: ["nTSecurityDescriptor"], explicitBufferAttributes: ["nTSecurityDescriptor"] }, sd);
  const descriptor = Buffer.from(e!.nTSecurityDescriptor as Buffer);
  descriptor.writeUInt16LE(descriptor.readUInt16LE(2) | 0x1000, 2);
  await ad.modify(USER_DN, new Change({ operation: "replace", modification: new Attribute({ type: "nTSecurityDescriptor", values: [descriptor] }) }), sd);
  expect(await leftovers()).toEqual({ adminCount: "1", daclProtected: true });
}

const markProtected = (dn: string) => ad.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "adminCount", values: ["1"] }) }));

beforeAll(async () => {
  ad = await adminClient();
  await ensureUserInPrivilegeOu();
  protectedDn = await ensureAdGroup(ad, "it-pg-protected");
  otherProtectedDn = await ensureAdGroup(ad, "it-pg-protected2");
  await ensureAdGroup(ad, "it-pg-plain");
  await markProtected(protectedDn);
  await markProtected(otherProtectedDn);
});
beforeEach(async () => {
  await resetDatabase();
  for (const dn of [protectedDn, otherProtectedDn]) await adRemoveMember(ad, dn, USER_DN).catch(() => {});
  admin = await localUser("carol", true);
  user = await localUser("it-pg-user");
  await openAccessGroup(admin, [user]);
});
afterAll(async () => {
  await ad.unbind();
});

/** A grant of `groupCn` to the user that starts and ends, leaving SDProp's marks behind. */
async function grantAndEnd(groupCn: string) {
  const privilege = await publish(admin, groupCn);
  const { grantId } = await requestFor(user, privilege.id);
  expect(await activateGrant(grantId)).toBe("activated");
  await leaveLeftovers();
  await endGrant(user, actorFor(user), grantId, "ended_early");
  expect((await sweepExpired()).removed).toBe(1);
  return grantId;
}

describe("AdminSDHolder leftovers", () => {
  it("clears adminCount and restores inheritance once the account is in no protected group, audited, once", async () => {
    const grantId = await grantAndEnd("it-pg-protected");
    const r = await cleanupProtectedLeftovers();
    expect(r).toMatchObject({ protectedGroups: 1, checked: 1, cleared: 1, failed: 0 });
    expect(await leftovers()).toEqual({ adminCount: null, daclProtected: false });
    const audited = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "directory.protected_leftovers_cleared"), eq(auditEvents.targetId, grantId)));
    expect(audited).toHaveLength(1);
    expect(audited[0]!.data).toMatchObject({ adminCountCleared: true, inheritanceRestored: true, groupDn: protectedDn });
    // Idempotent: the next run finds nothing left to clear.
    expect(await cleanupProtectedLeftovers()).toMatchObject({ checked: 1, cleared: 0 });
  });

  it("leaves the marks while the account is still in another protected group", async () => {
    await adAddMember(ad, otherProtectedDn, USER_DN);
    await grantAndEnd("it-pg-protected");
    expect(await cleanupProtectedLeftovers()).toMatchObject({ checked: 1, cleared: 0, failed: 0 });
    expect(await leftovers()).toEqual({ adminCount: "1", daclProtected: true });
    // Out of the other one too: now they go.
    await adRemoveMember(ad, otherProtectedDn, USER_DN);
    expect(await cleanupProtectedLeftovers()).toMatchObject({ cleared: 1 });
    expect(await leftovers()).toEqual({ adminCount: null, daclProtected: false });
  });

  it("leaves a protected DACL alone when there is no adminCount (deliberate hardening, not SDProp)", async () => {
    await grantAndEnd("it-pg-protected");
    await ad.modify(USER_DN, new Change({ operation: "delete", modification: new Attribute({ type: "adminCount", values: [] }) }));
    expect(await cleanupProtectedLeftovers()).toMatchObject({ checked: 1, cleared: 0 });
    expect(await leftovers()).toEqual({ adminCount: null, daclProtected: true });
  });

  it("waits while the account holds or is being given another protected grant", async () => {
    await grantAndEnd("it-pg-protected");
    const other = await publish(admin, "it-pg-protected2");
    await requestFor(user, other.id); // pending: tokenGroups would not show it yet
    expect(await cleanupProtectedLeftovers()).toMatchObject({ protectedGroups: 2, checked: 0, cleared: 0 });
    expect(await leftovers()).toEqual({ adminCount: "1", daclProtected: true });
  });

  it("does nothing for a group that is not protected", async () => {
    await grantAndEnd("it-pg-plain");
    expect(await cleanupProtectedLeftovers()).toMatchObject({ protectedGroups: 0, checked: 0, cleared: 0 });
    expect(await leftovers()).toEqual({ adminCount: "1", daclProtected: true });
  });
});
