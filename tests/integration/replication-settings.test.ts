import type { Client } from "ldapts";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, grants, notificationEvents } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { checkDirectory, getDirectoryStatus, updateReplicationSettings } from "@/server/directory/settings";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { checkReplication } from "@/server/grants/replication";
import { actorFor, adminClient, ensureAdGroup, ensureAdUser, localUser, openAccessGroup, publish, requestFor, resetDatabase } from "./fixtures";

/*
 * Replication settings on the single-DC domain every other test uses (two DCs: tests/replication).
 * The default must behave as before replication checks existed: no wait at all.
 */

const GROUP = "IT Replication Settings";
let admin: Client;
let boss: SessionUser;
let requester: SessionUser;
let privilegeId: string;

const grant = async (id: string) => (await db.select().from(grants).where(eq(grants.id, id)))[0]!;

beforeAll(async () => {
  admin = await adminClient();
  await ensureAdUser(admin, "it-rs-req");
});
beforeEach(async () => {
  await resetDatabase();
  await ensureAdGroup(admin, GROUP);
  boss = await localUser("carol", true);
  requester = await localUser("it-rs-req");
  privilegeId = (await publish(boss, GROUP, 60)).id;
  await openAccessGroup(boss, [requester]);
  await checkDirectory(SYSTEM_ACTOR);
});
afterAll(async () => {
  await admin.unbind();
});

describe("replication on a single-DC domain", () => {
  it("by default a grant is active at once and its removal complete at once (nothing to wait for)", async () => {
    expect((await getDirectoryStatus(boss)).replication).toEqual({ mode: "verify", latencySeconds: 30, maxWaitSeconds: 900, dcUrls: [] });
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    expect((await grant(grantId)).state).toBe("active");
    const granted = await db
      .select()
      .from(notificationEvents)
      .where(and(eq(notificationEvents.grantId, grantId), eq(notificationEvents.event, "granted")));
    expect(granted).toHaveLength(1);

    await db.execute(sql`update grants set expires_at = now() where id = ${grantId}`);
    await sweepExpired();
    const ended = await grant(grantId);
    expect(ended.state).toBe("expired");
    expect(ended.removalVerifiedAt).not.toBeNull();
    expect(await checkReplication()).toMatchObject({ pending: 0, searches: 0 });
  });

  it("a DC named by the admin is checked even when it is the only one: replicating, then active at the first check", async () => {
    await updateReplicationSettings(boss, actorFor(boss), { mode: "verify", latencySeconds: 0, maxWaitSeconds: 60, dcUrls: ["ldaps://DC1.interim.test:636"] });
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    expect((await grant(grantId)).state).toBe("replicating");
    expect(await checkReplication()).toMatchObject({ pending: 1, activated: 1, searches: 1, errors: [] });
    const row = await grant(grantId);
    expect(row.state).toBe("active");
    expect(row.replication).toMatchObject({ phase: "add", dcs: [{ host: "dc1.interim.test", error: null }], settled: { by: "verified", unconfirmed: [] } });
  });

  it("wait mode delays even a single DC by the latency", async () => {
    await updateReplicationSettings(boss, actorFor(boss), { mode: "wait", latencySeconds: 1, maxWaitSeconds: 60, dcUrls: [] });
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    expect((await grant(grantId)).state).toBe("replicating");
    await new Promise((r) => setTimeout(r, 1100));
    expect(await checkReplication()).toMatchObject({ activated: 1, searches: 0 });
    expect((await grant(grantId)).state).toBe("active");
  });

  it("is audited, and refuses a server that is not a DC of the domain (the checks bind with the service password)", async () => {
    await expect(
      updateReplicationSettings(boss, actorFor(boss), { mode: "verify", latencySeconds: 0, maxWaitSeconds: 60, dcUrls: ["ldaps://collector.example.com:636"] }),
    ).rejects.toThrow(/Not a domain controller of this domain: ldaps:\/\/collector\.example\.com:636/);
    await updateReplicationSettings(boss, actorFor(boss), { mode: "both", latencySeconds: 20, maxWaitSeconds: 300, dcUrls: [] });
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "directory.replication_changed"));
    expect(event).toMatchObject({
      actorName: "carol",
      data: { before: { mode: "verify", dcUrls: [] }, after: { mode: "both", latencySeconds: 20, maxWaitSeconds: 300, dcUrls: [] } },
    });
    expect((await getDirectoryStatus(boss)).replication.mode).toBe("both");
  });

  it("is for administrators only", async () => {
    await expect(
      updateReplicationSettings(requester, actorFor(requester), { mode: "wait", latencySeconds: 1, maxWaitSeconds: 60, dcUrls: [] }),
    ).rejects.toThrow(/may not manage/);
  });

  it("a named DC later removed from the stored list is no longer checked", async () => {
    await updateReplicationSettings(boss, actorFor(boss), { mode: "verify", latencySeconds: 0, maxWaitSeconds: 60, dcUrls: ["ldaps://dc1.interim.test:636"] });
    // As if someone wrote a foreign server into the row directly: it is never bound to.
    await db.execute(sql`update directory_settings set replication_dc_urls = '["ldaps://collector.example.com:636"]'::jsonb`);
    const { grantId } = await requestFor(requester, privilegeId);
    await activateGrant(grantId);
    // Only the domain's one DC is left: nothing to wait for.
    expect((await grant(grantId)).state).toBe("active");
  });
});
