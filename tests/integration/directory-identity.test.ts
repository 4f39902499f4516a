import type { Client } from "ldapts";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { expireDirectoryIdentities, forgetDirectoryIdentities } from "@/server/directory/identity";
import { getGroupByGuid, isNestedMember, listGroupMembers, searchGroups } from "@/server/directory/service";
import { listTemporaryGroups } from "@/server/directory/temporary-groups";
import { resetEnvForTests } from "@/server/env";
import { activateGrant } from "@/server/grants/activate";
import { publishPrivilege } from "@/server/privileges/service";
import {
  actorFor,
  adAddMember,
  adminClient,
  adRemoveMember,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  localUser,
  openAccessGroup,
  PRIVILEGE_OU,
  requestFor,
  resetDatabase,
} from "./fixtures";

/*
 * Issue 13, item 7: groups Interim must never publish or grant are known by objectGUID/objectSid,
 * not by how INTERIM_ADMIN_GROUP_DN is spelled, nested at any depth — at publish, and again at
 * activation (AD can nest a published group into the admin group later).
 */

const ADMINS = "IT Ident Admins";
const NESTED = "IT Ident Nested";
const SERVICE = "IT Ident Svc";
const SERVICE_NESTED = "IT Ident Svc Nested";
const LATER = "IT Ident Later";
const LATER_TEMPORARY = "IT Ident Later Temp";

let ldap: Client;
let boss: SessionUser;
let holder: SessionUser;
const dn = (cn: string) => `CN=${cn},${PRIVILEGE_OU}`;
const savedAdminDn = process.env.INTERIM_ADMIN_GROUP_DN!;

async function guidOf(cn: string): Promise<string> {
  const group = (await searchGroups(cn)).find((g) => g.name === cn);
  if (!group) throw new Error(`no group ${cn}`);
  return group.objectGuid;
}

async function sidOf(cn: string): Promise<string> {
  return (await getGroupByGuid(await guidOf(cn)))!.objectSid;
}

function publishGroup(cn: string, mechanism: "direct" | "temporary-group" = "direct") {
  return guidOf(cn).then((groupGuid) =>
    publishPrivilege(boss, actorFor(boss), {
      groupGuid,
      name: `${cn} ${Math.random().toString(36).slice(2, 7)}`,
      description: "",
      maxDurationMinutes: 60,
      defaultDurationMinutes: 5,
      allowExtension: false,
      tags: [],
      mechanism,
    }),
  );
}

/** Interim configured with the test's admin group, spelled as given. */
function configureAdminGroup(spelling: string) {
  process.env.INTERIM_ADMIN_GROUP_DN = spelling;
  resetEnvForTests();
}

beforeAll(async () => {
  ldap = await adminClient();
  await ensureAdUser(ldap, "it-ident-holder");
});
beforeEach(async () => {
  await resetDatabase();
  for (const cn of [ADMINS, NESTED, SERVICE, SERVICE_NESTED, LATER, LATER_TEMPORARY]) await ensureAdGroup(ldap, cn);
  boss = await localUser("carol", true);
  holder = await localUser("it-ident-holder");
  forgetDirectoryIdentities();
});
afterEach(() => {
  configureAdminGroup(savedAdminDn);
  forgetDirectoryIdentities();
});
afterAll(async () => {
  await ldap.unbind();
});

describe("publishing is refused by identity, not by DN text", () => {
  it("refuses the admin group named by a differently spelled INTERIM_ADMIN_GROUP_DN", async () => {
    const spellings = [
      dn(ADMINS).replace(/,/g, ", "),
      dn(ADMINS).toLowerCase(),
      dn(ADMINS).replace("IT Ident Admins", "IT\\20Ident\\20Admins"),
      `cn=${ADMINS}, ou=Privileges, ${PRIVILEGE_OU.split(",").slice(1).join(", ").toUpperCase()}`,
    ];
    for (const spelling of spellings) {
      configureAdminGroup(spelling);
      await expect(publishGroup(ADMINS), spelling).rejects.toMatchObject({ code: "FORBIDDEN", rule: "admin-group" });
    }
  });

  it("refuses the admin group named as <GUID=…> or <SID=…>", async () => {
    for (const spelling of [`<GUID=${await guidOf(ADMINS)}>`, `<SID=${await sidOf(ADMINS)}>`]) {
      configureAdminGroup(spelling);
      await expect(publishGroup(ADMINS), spelling).rejects.toMatchObject({ code: "FORBIDDEN", rule: "admin-group" });
    }
  });

  it("refuses a group nested in the admin group, also once the admin group was renamed after Interim resolved it", async () => {
    await adAddMember(ldap, dn(ADMINS), dn(NESTED));
    configureAdminGroup(dn(ADMINS));
    await expect(publishGroup(NESTED)).rejects.toThrow(/grants Interim administration/);
    await ldap.modifyDN(dn(ADMINS), "CN=IT Ident Admins Renamed");
    try {
      // The periodic refresh re-reads the group it knew by GUID: INTERIM_ADMIN_GROUP_DN now names nothing.
      expireDirectoryIdentities();
      const err = await publishGroup(NESTED).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "FORBIDDEN", rule: "admin-group" });
      expect((err as Error).message).toMatch(/IT Ident Admins Renamed/);
    } finally {
      await ldap.modifyDN(dn("IT Ident Admins Renamed"), `CN=${ADMINS}`);
    }
  });

  it("refuses a group the service account is a member of, directly or through nesting", async () => {
    const serviceDn = process.env.LDAP_BIND_DN!;
    await adAddMember(ldap, dn(SERVICE), serviceDn);
    await adAddMember(ldap, dn(SERVICE), dn(SERVICE_NESTED));
    try {
      forgetDirectoryIdentities();
      await expect(publishGroup(SERVICE)).rejects.toMatchObject({ code: "FORBIDDEN", rule: "service-account-group" });
      await expect(publishGroup(SERVICE_NESTED)).rejects.toMatchObject({ code: "FORBIDDEN", rule: "service-account-group" });
    } finally {
      await adRemoveMember(ldap, dn(SERVICE), serviceDn);
    }
  });
});

describe("activation checks again", () => {
  it("refuses a published group nested into the admin group later, for direct and temporary-group grants: nothing added in AD, the grant fails with the reason, audited", async () => {
    const direct = await publishGroup(LATER);
    const temporary = await publishGroup(LATER_TEMPORARY, "temporary-group");
    await openAccessGroup(boss, [holder]);
    const first = await requestFor(holder, direct.id);
    const second = await requestFor(holder, temporary.id);
    const realAdmins = process.env.INTERIM_ADMIN_GROUP_DN!;
    await adAddMember(ldap, realAdmins, dn(LATER));
    await adAddMember(ldap, realAdmins, dn(LATER_TEMPORARY));
    try {
      for (const [grantId, cn] of [
        [first.grantId, LATER],
        [second.grantId, LATER_TEMPORARY],
      ] as const) {
        expect(await activateGrant(grantId)).toBe("failed");
        const row = await grantRow(grantId);
        expect(row).toMatchObject({ state: "failed", attempts: 1 });
        expect(row.last_error).toMatch(/grants Interim administration/);
        expect(await listGroupMembers({ dn: dn(cn) })).toEqual([]);
        expect(await isNestedMember(holder.dn, dn(cn))).toBe(false);
        const [failed] = await db
          .select()
          .from(auditEvents)
          .where(and(eq(auditEvents.action, "grant.activation_failed"), eq(auditEvents.targetId, grantId)));
        expect(failed?.data).toMatchObject({ final: true, error: expect.stringMatching(/Interim administration/) });
      }
      // The temporary group the refused attempt made went with its grant.
      expect((await listTemporaryGroups()).filter((g) => g.name.endsWith(second.grantId.replace(/-/g, "")))).toEqual([]);
    } finally {
      await adRemoveMember(ldap, realAdmins, dn(LATER));
      await adRemoveMember(ldap, realAdmins, dn(LATER_TEMPORARY));
    }
  });
});
