import type { Client } from "ldapts";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, driftFindings, grants } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { guidToString } from "@/server/directory/binary";
import { isNestedMember, listGroupMembers, searchGroups } from "@/server/directory/service";
import { listTemporaryGroups, temporaryGroupName } from "@/server/directory/temporary-groups";
import { env } from "@/server/env";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { MAX_ACTIVATION_ATTEMPTS } from "@/server/grants/timing";
import { reconcile } from "@/server/grants/reconcile";
import { cleanUpTemporaryGroups } from "@/server/grants/temporary-groups";
import { setDriftAction } from "@/server/drift/service";
import { HIJACK_NOTE } from "@/server/drift/temporary-groups";
import { publishPrivilege } from "@/server/privileges/service";
import {
  actorFor,
  adAddMember,
  adRemoveMember,
  adminClient,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOuGroup,
  grantRow,
  isDirectMember,
  localUser,
  openAccessGroup,
  requestFor,
  resetDatabase,
} from "./fixtures";

/*
 * The temporary-group mechanism on the local Samba DC: a group per grant in TEMP_GROUP_OU, holding
 * the account and nested into the privilege's group, deleted when the grant ends.
 */

const GROUP = "IT Temporary Group Target";
let ldap: Client;
let groupDn: string;
let groupGuid: string;
let boss: SessionUser;
let holder: SessionUser;

async function temporaryGroupDnOf(grantId: string) {
  return `CN=${temporaryGroupName(grantId)},${env.TEMP_GROUP_OU}`;
}

async function exists(dn: string) {
  const { searchEntries } = await ldap.search(dn, { scope: "base", attributes: ["cn"] }).catch(() => ({ searchEntries: [] }));
  return searchEntries.length === 1;
}

/** Deletes every temporary group the tests left (the OU is the mechanism's, not the tests'). */
async function deleteAllTemporaryGroups() {
  for (const g of await listTemporaryGroups()) await ldap.del(g.dn).catch(() => {});
}

let privilegeId: string | undefined;

/** A request for the temporary-group privilege (published, with an open access group, on first use). */
async function temporaryGrant() {
  privilegeId ??= await publishTemporary();
  return requestFor(holder, privilegeId);
}

async function publishTemporary() {
  const privilege = await publishPrivilege(boss, actorFor(boss), {
    groupGuid,
    name: `Temporary ${Math.random().toString(36).slice(2, 7)}`,
    description: "",
    maxDurationMinutes: 60,
    defaultDurationMinutes: 5,
    allowExtension: false,
    tags: [],
    mechanism: "temporary-group",
  });
  await openAccessGroup(boss, [holder]);
  return privilege.id;
}

beforeAll(async () => {
  ldap = await adminClient();
  await ensureAdUser(ldap, "it-tempgroup");
  await ensureAdUser(ldap, "it-tempgroup-2");
});
beforeEach(async () => {
  await resetDatabase();
  privilegeId = undefined;
  await deleteAllTemporaryGroups();
  groupDn = await ensureAdGroup(ldap, GROUP);
  groupGuid = (await searchGroups(GROUP)).find((g) => g.name === GROUP)!.objectGuid;
  boss = await localUser("carol", true);
  holder = await localUser("it-tempgroup");
});
afterAll(async () => {
  await deleteAllTemporaryGroups();
  await ldap.unbind();
});

describe("temporary-group grants", () => {
  it("activation creates the grant's group in TEMP_GROUP_OU with the account, nested into the target; expiry deletes it", async () => {
    const { grantId } = await temporaryGrant();
    expect(await activateGrant(grantId)).toBe("activated");

    const tempDn = await temporaryGroupDnOf(grantId);
    const [row] = await db.select().from(grants).where(eq(grants.id, grantId));
    expect(row).toMatchObject({ state: "active", mechanism: "temporary-group", preExisting: false });
    expect(row!.tempGroupDn!.toLowerCase()).toBe(tempDn.toLowerCase());
    // The account is in the temporary group, which is in the target; the account itself is not a direct member.
    expect(await isDirectMember(tempDn, holder.dn)).toBe(true);
    expect((await listGroupMembers({ guid: groupGuid })).map((m) => m.guid)).toEqual([row!.tempGroupGuid!.toLowerCase()]);
    expect(await isDirectMember(groupDn, holder.dn)).toBe(false);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
    const [activated] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "grant.activated"), eq(auditEvents.targetId, grantId)));
    expect(activated?.data).toMatchObject({ mechanism: "temporary-group", temporaryGroupDn: row!.tempGroupDn });

    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect(await sweepExpired()).toMatchObject({ claimed: 1, removed: 1, failed: 0 });
    expect(await exists(tempDn)).toBe(false);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(false);
    expect(await listGroupMembers({ guid: groupGuid })).toEqual([]);
    expect((await grantRow(grantId)).state).toBe("expired");
    const [removed] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "grant.removed"), eq(auditEvents.targetId, grantId)));
    expect(removed?.data).toMatchObject({ alreadyAbsent: false, reason: "expired" });
  });

  it("a retry after a crash reuses the group an earlier attempt created", async () => {
    const { grantId } = await temporaryGrant();
    const tempDn = await temporaryGroupDnOf(grantId);
    // What an attempt that died right after creating the group leaves behind.
    await ldap.add(tempDn, {
      objectClass: ["top", "group"],
      cn: temporaryGroupName(grantId),
      sAMAccountName: temporaryGroupName(grantId),
      groupType: "-2147483646",
    });
    expect(await activateGrant(grantId)).toBe("activated");
    expect((await listTemporaryGroups()).map((g) => g.dn.toLowerCase())).toEqual([tempDn.toLowerCase()]);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
  });

  it("a group already deleted by someone counts as removed", async () => {
    const { grantId } = await temporaryGrant();
    await activateGrant(grantId);
    await ldap.del(await temporaryGroupDnOf(grantId));
    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect(await sweepExpired()).toMatchObject({ removed: 1, failed: 0 });
    const [removed] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "grant.removed"), eq(auditEvents.targetId, grantId)));
    expect(removed?.data).toMatchObject({ alreadyAbsent: true });
  });

  it("a temporary group that cannot be deleted keeps its grant under lease, audited; the others in the sweep end", async () => {
    const other = await localUser("it-tempgroup-2");
    privilegeId ??= await publishTemporary();
    await openAccessGroup(boss, [other]);
    const stuck = await temporaryGrant();
    const fine = await requestFor(other, privilegeId);
    await activateGrant(stuck.grantId);
    await activateGrant(fine.grantId);
    // As if the stuck grant's group were one the service account may not delete (outside its OU).
    const [undeletable] = await ldap
      .search(await ensureTestOuGroup(ldap, "IT Undeletable"), { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] })
      .then((r) => r.searchEntries);
    const realGuid = (await db.select({ g: grants.tempGroupGuid }).from(grants).where(eq(grants.id, stuck.grantId)))[0]!.g!;
    await db
      .update(grants)
      .set({ tempGroupGuid: guidToString(undeletable!.objectGUID as Buffer) })
      .where(eq(grants.id, stuck.grantId));
    await db.execute(sql`update grants set expires_at = now() where id in (${stuck.grantId}, ${fine.grantId})`);

    expect(await sweepExpired()).toMatchObject({ claimed: 2, removed: 1, failed: 1 });
    expect((await grantRow(fine.grantId)).state).toBe("expired");
    const row = await grantRow(stuck.grantId);
    expect(row.state).toBe("expiring");
    expect(row.last_error).toMatch(/lacks the rights|insufficient|error 50/i);
    expect(
      await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, "grant.removal_failed"), eq(auditEvents.targetId, stuck.grantId))),
    ).toHaveLength(1);
    // The account still has access through its real temporary group: the sweep retakes it once the lease lapses.
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
    await db.execute(sql`update grants set temp_group_guid = ${realGuid}, claimed_at = now() - interval '1 hour' where id = ${stuck.grantId}`);
    expect(await sweepExpired()).toMatchObject({ claimed: 1, removed: 1, failed: 0 });
    expect(await isNestedMember(holder.dn, groupDn)).toBe(false);
    expect(await exists(await ensureTestOuGroup(ldap, "IT Undeletable"))).toBe(true);
  });

  it("an activation that fails for good after making its temporary group deletes the group at once, audited", async () => {
    const { grantId } = await temporaryGrant();
    // The target refuses the nesting (the service account may not write there), on the last attempt.
    const [target] = await ldap
      .search(await ensureTestOuGroup(ldap, "IT Undeletable"), { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] })
      .then((r) => r.searchEntries);
    await db
      .update(grants)
      .set({ groupGuid: guidToString(target!.objectGUID as Buffer), attempts: MAX_ACTIVATION_ATTEMPTS - 1 })
      .where(eq(grants.id, grantId));
    expect(await activateGrant(grantId)).toBe("failed");
    expect((await grantRow(grantId)).state).toBe("failed");
    expect(await exists(await temporaryGroupDnOf(grantId))).toBe(false);
    const [deleted] = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.temporary_group_deleted"));
    expect(deleted?.data).toMatchObject({ grantId, grantState: "failed" });
  });

  it("reconcile counts a live grant's temporary group as explained and nests it again when someone took it out", async () => {
    const { grantId } = await temporaryGrant();
    await activateGrant(grantId);
    const tempDn = await temporaryGroupDnOf(grantId);
    await adRemoveMember(ldap, groupDn, tempDn);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(false);

    const result = await reconcile();
    expect(result).toMatchObject({ reapplied: 1, driftFound: 0, errors: [] });
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
    expect(await db.select().from(driftFindings)).toEqual([]);
    // Still explained on the next pass: no finding, nothing re-added.
    expect(await reconcile()).toMatchObject({ reapplied: 0, driftFound: 0 });
  });

  it("deletes orphaned temporary groups (no live grant owns them) and keeps the live ones, audited", async () => {
    const failed = await temporaryGrant();
    await activateGrant(failed.grantId);
    // A grant that failed for good after its group was made (or a row lost with a restored database).
    await db.update(grants).set({ state: "failed" }).where(eq(grants.id, failed.grantId));
    const live = await temporaryGrant();
    await activateGrant(live.grantId);
    const strayId = "0f0e0d0c-0b0a-4909-8807-060504030201";
    const strayDn = await temporaryGroupDnOf(strayId);
    await ldap.add(strayDn, {
      objectClass: ["top", "group"],
      cn: temporaryGroupName(strayId),
      sAMAccountName: temporaryGroupName(strayId),
      groupType: "-2147483646",
    });

    // An ended grant's group goes at once; a young one without any grant row is left alone (it may be
    // another installation's) until it is old.
    expect(await cleanUpTemporaryGroups()).toMatchObject({ checked: 3, deleted: 1 });
    expect(await exists(strayDn)).toBe(true);
    expect(await cleanUpTemporaryGroups({ minAgeSeconds: 0 })).toMatchObject({ checked: 2, deleted: 1, failed: 0 });
    expect(await exists(strayDn)).toBe(false);
    expect(await exists(await temporaryGroupDnOf(failed.grantId))).toBe(false);
    expect(await exists(await temporaryGroupDnOf(live.grantId))).toBe(true);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
    const audited = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.temporary_group_deleted"));
    expect(audited.map((e) => (e.data as { grantId: string }).grantId).sort()).toEqual([failed.grantId, strayId].sort());
    expect(audited.find((e) => (e.data as { grantId: string }).grantId === failed.grantId)?.data).toMatchObject({ grantState: "failed" });
  });
});

describe("temporary groups cannot be hijacked (issue 13, item 8)", () => {
  const otherDn = () => `CN=it-tempgroup-2,OU=IntegrationTests,OU=Interim,${env.LDAP_BASE_DN}`;
  const findingsIn = (tempDn: string) =>
    db
      .select()
      .from(driftFindings)
      .where(sql`lower(${driftFindings.groupDn}) = ${tempDn.toLowerCase()}`);

  it("an existing group with the grant's temporary-group name and a member of someone else's is not adopted: the grant is refused, nothing is nested, a drift finding is raised", async () => {
    const { grantId } = await temporaryGrant();
    const tempDn = await temporaryGroupDnOf(grantId);
    // Made ahead of the grant by someone who may create groups in TEMP_GROUP_OU, with themselves in it.
    await ldap.add(tempDn, {
      objectClass: ["top", "group"],
      cn: temporaryGroupName(grantId),
      sAMAccountName: temporaryGroupName(grantId),
      groupType: "-2147483646",
    });
    await adAddMember(ldap, tempDn, otherDn());

    expect(await activateGrant(grantId)).toBe("failed");
    const row = await grantRow(grantId);
    expect(row.state).toBe("failed");
    expect(row.last_error).toMatch(/members Interim did not put there/);
    expect(await listGroupMembers({ guid: groupGuid })).toEqual([]);
    expect(await isNestedMember(otherDn(), groupDn)).toBe(false);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(false);
    const [finding] = await findingsIn(tempDn);
    expect(finding).toMatchObject({ memberName: "it-tempgroup-2", kind: "standing", resolution: null, note: HIJACK_NOTE, privilegeId });
    const found = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.drift_found"));
    expect(found.map((e) => e.data)).toEqual([expect.objectContaining({ findingId: finding!.id, memberName: "it-tempgroup-2" })]);
  });

  it("reconcile flags a member added to a live temporary group behind Interim's back, and takes it out once the drift action says so", async () => {
    const { grantId } = await temporaryGrant();
    await activateGrant(grantId);
    const tempDn = await temporaryGroupDnOf(grantId);
    await adAddMember(ldap, tempDn, otherDn());

    expect(await reconcile()).toMatchObject({ driftFound: 1, standingRemoved: 0, errors: [] });
    expect(await isDirectMember(tempDn, otherDn())).toBe(true);
    const [finding] = await findingsIn(tempDn);
    expect(finding).toMatchObject({ memberName: "it-tempgroup-2", kind: "standing", resolution: null, privilegeId });

    await setDriftAction(boss, actorFor(boss), { privilegeId: privilegeId!, action: "remove" });
    expect(await reconcile()).toMatchObject({ driftFound: 0, standingRemoved: 1, errors: [] });
    expect(await isDirectMember(tempDn, otherDn())).toBe(false);
    expect(await isNestedMember(otherDn(), groupDn)).toBe(false);
    // The grant's own account stays.
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
    expect((await findingsIn(tempDn))[0]).toMatchObject({ resolution: "removed" });
  });

  it("reconcile puts the grant's account back into its temporary group when someone took it out", async () => {
    const { grantId } = await temporaryGrant();
    await activateGrant(grantId);
    const tempDn = await temporaryGroupDnOf(grantId);
    await adRemoveMember(ldap, tempDn, holder.dn);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(false);

    expect(await reconcile()).toMatchObject({ reapplied: 1, driftFound: 0, errors: [] });
    expect(await isDirectMember(tempDn, holder.dn)).toBe(true);
    expect(await isNestedMember(holder.dn, groupDn)).toBe(true);
    const reapplied = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "grant.reapplied"), eq(auditEvents.targetId, grantId)));
    expect(reapplied).toHaveLength(1);
    expect(await reconcile()).toMatchObject({ reapplied: 0, driftFound: 0 });
  });
});
