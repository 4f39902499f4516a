import { Attribute, Change, type Client } from "ldapts";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, directorySettings, grants, privileges } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { checkDirectory } from "@/server/directory/settings";
import { detectPamFeature } from "@/server/directory/domain";
import { searchGroups } from "@/server/directory/service";
import { PAM_OFF_EXPLANATION } from "@/server/directory/ttl";
import { env } from "@/server/env";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { reconcile } from "@/server/grants/reconcile";
import { listLiveGrants } from "@/server/grants/service";
import { publishPrivilege, updatePrivilege } from "@/server/privileges/service";
import {
  actorFor,
  adminClient,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  isDirectMember,
  localUser,
  openAccessGroup,
  publish,
  requestFor,
  resetDatabase,
  trpcHttp,
} from "./fixtures";

/*
 * Grant mechanisms against the local Samba DC, which has no Privileged Access Management feature:
 * TTL memberships must be refused when publishing and never sent when granting. (The TTL add
 * itself can only run against a Windows forest with the feature on; ttl.test.ts covers its values.)
 */

const GROUP = "IT Mechanism Test";
let ldap: Client;
let groupDn: string;
let groupGuid: string;
let boss: SessionUser;
let holder: SessionUser;

beforeAll(async () => {
  ldap = await adminClient();
  groupDn = await ensureAdGroup(ldap, GROUP);
  await ensureAdUser(ldap, "it-mech");
});
beforeEach(async () => {
  await resetDatabase();
  await ensureAdGroup(ldap, GROUP);
  boss = await localUser("carol", true);
  holder = await localUser("it-mech");
  groupGuid = (await searchGroups(GROUP)).find((g) => g.name === GROUP)!.objectGuid;
});
afterAll(async () => {
  await ldap.unbind();
});

const fields = (mechanism: "direct" | "ttl" | "temporary-group") => ({
  groupGuid,
  name: `Mechanism ${mechanism} ${Math.random().toString(36).slice(2, 7)}`,
  description: "",
  maxDurationMinutes: 60,
  defaultDurationMinutes: 5,
  allowExtension: false,
  tags: [],
  mechanism,
});

describe("choosing a grant mechanism", () => {
  it("Samba has no PAM feature", async () => {
    expect(await detectPamFeature()).toBe(false);
  });

  it("refuses a TTL privilege with the explanation, whether the directory was checked before or not", async () => {
    // Never checked (the table is empty): the service asks the directory.
    await expect(publishPrivilege(boss, actorFor(boss), fields("ttl"))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining(PAM_OFF_EXPLANATION),
    });
    // Checked, as the worker does at start: the stored fact decides.
    await checkDirectory(SYSTEM_ACTOR);
    await expect(publishPrivilege(boss, actorFor(boss), fields("ttl"))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining(PAM_OFF_EXPLANATION),
    });
    // Through the router too, as the publish form calls it.
    expect(await trpcHttp(boss, "privileges.publish", fields("ttl"))).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      message: expect.stringContaining("Membership with TTL is not available"),
    });
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "privilege.published"))).toHaveLength(0);
  });

  it("publishes a temporary-group privilege where TEMP_GROUP_OU is configured", async () => {
    expect(env.TEMP_GROUP_OU).toBeTruthy();
    const row = await publishPrivilege(boss, actorFor(boss), fields("temporary-group"));
    expect(row.mechanism).toBe("temporary-group");
  });

  it("publishes a direct privilege by default and records the mechanism in the audit", async () => {
    const { mechanism: _omitted, ...withoutMechanism } = fields("direct");
    const row = await publishPrivilege(boss, actorFor(boss), withoutMechanism);
    expect(row.mechanism).toBe("direct");
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "privilege.published"));
    expect(event?.data).toMatchObject({ after: { mechanism: "direct" } });
  });

  it("keeps the mechanism when an update does not name one, without asking about PAM", async () => {
    const row = await publishPrivilege(boss, actorFor(boss), fields("direct"));
    // A TTL privilege from a time PAM was on: editing it must neither fail nor turn it into direct.
    await db.update(privileges).set({ mechanism: "ttl" }).where(eq(privileges.id, row.id));
    const { mechanism: _omitted, groupGuid: _g, ...rest } = fields("direct");
    const after = await updatePrivilege(boss, actorFor(boss), { ...rest, id: row.id, name: row.name, description: "edited", enabled: true });
    expect(after).toMatchObject({ mechanism: "ttl", description: "edited" });
  });

  it("refuses switching a privilege to TTL, and leaves it unchanged", async () => {
    const row = await publishPrivilege(boss, actorFor(boss), fields("direct"));
    const update = (mechanism: "ttl" | "temporary-group") =>
      updatePrivilege(boss, actorFor(boss), { ...fields(mechanism), id: row.id, name: row.name, enabled: true });
    await expect(update("ttl")).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining(PAM_OFF_EXPLANATION) });
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, "privilege.updated"))).toHaveLength(0);
  });

  it("accepts a TTL privilege where the directory reports the PAM feature on", async () => {
    // What a Windows forest with the feature would store; Samba cannot say so itself.
    await db.insert(directorySettings).values({ id: 1, pamFeatureEnabled: true, checkedAt: new Date() });
    const row = await publishPrivilege(boss, actorFor(boss), fields("ttl"));
    expect(row.mechanism).toBe("ttl");
  });
});

describe("granting", () => {
  async function directGrant() {
    const privilege = await publish(boss, GROUP, 60);
    await openAccessGroup(boss, [holder]);
    return requestFor(holder, privilege.id);
  }

  it("a grant forced to TTL while the PAM feature is off is added as a direct membership, and removed at expiry", async () => {
    const { grantId } = await directGrant();
    // As if the privilege had been TTL when the request was made (or the row edited by hand).
    await db.update(grants).set({ mechanism: "ttl" }).where(eq(grants.id, grantId));
    expect(await activateGrant(grantId)).toBe("activated");
    expect(await isDirectMember(groupDn, holder.dn)).toBe(true);
    const [row] = await db.select({ mechanism: grants.mechanism, lastError: grants.lastError }).from(grants).where(eq(grants.id, grantId));
    // The row says what the directory was asked for, so no screen claims a TTL capped the tickets.
    expect(row).toEqual({ mechanism: "direct", lastError: null });

    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    expect((await sweepExpired()).removed).toBe(1);
    expect(await isDirectMember(groupDn, holder.dn)).toBe(false);
    expect((await grantRow(grantId)).state).toBe("expired");
  });

  it("with the PAM feature reported on, the TTL value reaches the DC (which Samba rejects) and the grant is retried, not granted", async () => {
    await db.insert(directorySettings).values({ id: 1, pamFeatureEnabled: true, checkedAt: new Date() });
    const { grantId } = await directGrant();
    await db.update(grants).set({ mechanism: "ttl" }).where(eq(grants.id, grantId));
    await expect(activateGrant(grantId)).rejects.toThrow();
    expect(await isDirectMember(groupDn, holder.dn)).toBe(false);
    const row = await grantRow(grantId);
    expect(row.state).toBe("pending");
    // Samba: 34, "could not parse <TTL=60,<GUID=…>> as a … DN" (the grant asked for one minute).
    expect(row.last_error).toMatch(/directory error 34 .*<TTL=60,<GUID=[0-9a-f-]{36}>>/);
  });

  it("reconcile re-adds a missing TTL membership with the TTL the grant has left (which Samba, without PAM, rejects)", async () => {
    const { grantId } = await directGrant();
    await activateGrant(grantId);
    // As a PAM forest would have recorded it; then someone took the member out.
    await db.execute(sql`update grants set mechanism = 'ttl', expires_at = now() + interval '10 minutes' where id = ${grantId}`);
    await ldap.modify(groupDn, new Change({ operation: "delete", modification: new Attribute({ type: "member", values: [holder.dn] }) }));
    const result = await reconcile();
    expect(result.reapplied).toBe(0);
    // 600 s or a second less by the time the statement runs: never a plain (permanent) membership.
    expect(result.errors).toEqual([{ groupDn, error: expect.stringMatching(/<TTL=(599|600),<GUID=[0-9a-f-]{36}>>/) }]);
    expect(await isDirectMember(groupDn, holder.dn)).toBe(false);
  });

  it("says until when Kerberos tickets can carry access: the env's max ticket age, from the server", async () => {
    const { grantId } = await directGrant();
    await activateGrant(grantId);
    const facts = await trpcHttp(holder, "grants.kerberos", undefined, { query: true });
    expect(facts).toEqual({
      ok: true,
      data: { maxTicketAgeHours: env.KERBEROS_MAX_TICKET_AGE_HOURS, pamFeatureEnabled: false, ttlGrantIds: [], temporaryGroupsAvailable: true },
    });

    const [live] = await listLiveGrants(boss);
    expect(live).toMatchObject({ id: grantId, mechanism: "direct", kerberosMaxTicketAgeHours: env.KERBEROS_MAX_TICKET_AGE_HOURS });
    expect(live!.ticketsValidUntil!.getTime() - live!.expiresAt!.getTime()).toBe(env.KERBEROS_MAX_TICKET_AGE_HOURS * 3_600_000);
  });

  it("lists the caller's TTL grants only", async () => {
    const { grantId } = await directGrant();
    await db.update(grants).set({ mechanism: "ttl" }).where(eq(grants.id, grantId));
    const mine = await trpcHttp(holder, "grants.kerberos", undefined, { query: true });
    expect(mine).toMatchObject({ ok: true, data: { ttlGrantIds: [grantId] } });
    const others = await trpcHttp(boss, "grants.kerberos", undefined, { query: true });
    expect(others).toMatchObject({ ok: true, data: { ttlGrantIds: [] } });
  });
});
