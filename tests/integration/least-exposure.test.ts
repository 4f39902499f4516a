import type { Client } from "ldapts";
import pino from "pino";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { searchGroups, type DirectoryGroup } from "@/server/directory/service";
import { createCaller } from "@/server/trpc/root";
import { actorFor, adminClient, configuredAccessGroup, directoryGuid, ensureAdGroup, ensureAdUser, localUser, publishNamed, resetDatabase } from "./fixtures";

/*
 * Issue 13, item 12: a signed-in person sees only the privileges they may request, and no
 * procedure open to non-admins hands out a group's DN, objectGUID or objectSid. The three
 * admin actions that only read (drift check, catalog sync request, directory re-check) leave an
 * audit event.
 */

let ad: Client;
let carol: SessionUser;
let requester: SessionUser;
let approver: SessionUser;
const groups: DirectoryGroup[] = [];

const callerFor = (user: SessionUser) =>
  createCaller({ user, ip: "127.0.0.1", userAgent: "vitest", requestId: "least-exposure", log: pino({ level: "silent" }) });

async function group(cn: string): Promise<DirectoryGroup> {
  const [g] = (await searchGroups(cn)).filter((x) => x.name === cn);
  if (!g) throw new Error(`no group ${cn}`);
  return g;
}

/** Every identifier of every group in play, as it could appear in an answer. */
function leaks(answer: unknown): string[] {
  const text = JSON.stringify(answer).toLowerCase();
  return groups.flatMap((g) => [g.dn, g.objectGuid, g.objectSid].filter((id) => id && text.includes(id.toLowerCase())).map((id) => `${g.name}: ${id}`));
}

beforeAll(async () => {
  ad = await adminClient();
  await ensureAdUser(ad, "it-le-req");
  await ensureAdUser(ad, "it-le-ap");
  await ensureAdGroup(ad, "it-le-allowed");
  await ensureAdGroup(ad, "it-le-hidden");
  groups.push(await group("it-le-allowed"), await group("it-le-hidden"));

  await resetDatabase();
  carol = await localUser("carol", true);
  requester = await localUser("it-le-req");
  approver = await localUser("it-le-ap");
  await publishNamed(carol, "it-le-allowed", "LE Allowed", ["le"]);
  await publishNamed(carol, "it-le-hidden", "LE Hidden", ["other"]);
  const g = await configuredAccessGroup(carol, {
    name: "it-le Ops",
    settings: { requiresApproval: true, autoGrantOnProvisioning: true },
    criteria: { privilegeTags: ["le"] },
    members: [await directoryGuid("it-le-req")],
  });
  await updateApprovers(carol, actorFor(carol), {
    id: g.id,
    version: g.version,
    approvers: [{ userGuid: await directoryGuid("it-le-ap"), level: 1 }],
    levels: [],
  });
});
afterAll(async () => {
  await resetDatabase();
  await ad.unbind();
});

describe("least exposure", () => {
  it("privileges.available lists only what the caller may request, without directory identifiers", async () => {
    const mine = await callerFor(requester).privileges.available();
    expect(mine.map((p) => p.name)).toEqual(["LE Allowed"]);
    expect(leaks(mine)).toEqual([]);
    expect(mine[0]).not.toHaveProperty("groupDn");
    // Someone in no access group sees nothing; the admin's list still has everything.
    expect(await callerFor(approver).privileges.available()).toEqual([]);
    const all = await callerFor(carol).privileges.list();
    expect(all.map((p) => p.name)).toEqual(["LE Allowed", "LE Hidden"]);
    expect(all[0]).toHaveProperty("groupDn");
  });

  it("no procedure open to requesters and approvers answers with a group's DN, GUID or SID", async () => {
    const r = callerFor(requester);
    const a = callerFor(approver);
    const access = await r.requests.access();
    expect(access.items.map((p) => p.privilege.name)).toEqual(["LE Allowed"]);
    const privilegeId = access.items[0]!.privilege.id;
    const preview = await r.requests.preview({ privilegeId, durationMinutes: 15 });
    const submitted = await r.requests.submit({ privilegeId, durationMinutes: 15, justification: "least exposure" });
    const answers: Record<string, unknown> = {
      access,
      preview,
      submitted,
      mine: await r.requests.mine(),
      timeline: await r.requests.timeline({ requestId: submitted.requestId }),
      kerberos: await r.grants.kerberos(),
      me: await r.auth.me(),
      inbox: await a.approvals.inbox(),
      approverTimeline: await a.requests.timeline({ requestId: submitted.requestId }),
    };
    expect((answers.inbox as unknown[]).length).toBe(1);
    answers.decided = await a.approvals.decide({ requestId: submitted.requestId, decision: "approve" });
    answers.history = await a.approvals.history();
    answers.emergencies = await a.approvals.emergencies();
    answers.mineAfter = await r.requests.mine();
    answers.timelineAfter = await r.requests.timeline({ requestId: submitted.requestId });
    for (const [name, answer] of Object.entries(answers)) expect(leaks(answer), name).toEqual([]);
  });

  it("audits the drift check, the catalog sync request and the directory re-check", async () => {
    const admin = callerFor(carol);
    await admin.drift.check().catch(() => undefined);
    await admin.catalog.sync.request().catch(() => undefined);
    await admin.directory.recheck().catch(() => undefined);
    for (const action of ["drift.check_requested", "catalog.sync_requested", "directory.recheck_requested"] as const) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, action), eq(auditEvents.actorId, carol.id)));
      expect(rows.length, action).toBe(1);
    }
  });
});
