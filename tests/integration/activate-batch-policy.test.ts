import type { Client } from "ldapts";
import { and, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/db";
import { auditEvents, grants } from "@/db/schema";
import { setActivation } from "@/server/access-groups/members";
import { updateLimits } from "@/server/access-groups/service";
import { limitsSchema } from "@/server/access-groups/policy/schemas";
import type { SessionUser } from "@/server/auth/permissions";
import { guidToString } from "@/server/directory/binary";
import { ServiceConnection } from "@/server/directory/connection";
import { activateGrant } from "@/server/grants/activate";
import { activateQueued } from "@/server/grants/activate-batch";
import {
  actorFor,
  adAddMember,
  adRemoveMember,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOuGroup,
  isDirectMember,
  localUser,
  publish,
  requestFor,
  resetDatabase,
  TEST_OU,
} from "./fixtures";

/*
 * Issue 15: a batch of queued activations rechecks the live policy on facts loaded once for the
 * whole batch (server/grants/recheck-batch.ts), and must reach the very verdicts the single path
 * reaches grant by grant. The same scenario runs twice on the real DC and Postgres — each grant
 * activated alone, then all of them as one batch — and every grant's outcome is compared.
 */

const PRIV_A = "IT Batch Policy A";
const PRIV_B = "IT Batch Policy B";
const TEAM = "it-bp-team";
const TEAM_SUB = "it-bp-team-sub";
const SAMS = { nested: "it-bp-nested", left: "it-bp-left", suspended: "it-bp-susp", plain: "it-bp-plain" } as const;
type Who = keyof typeof SAMS;

let ad: Client;
const dnOf = (sam: string) => `CN=${sam},${TEST_OU}`;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of Object.values(SAMS)) await ensureAdUser(ad, sam);
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await ensureTestOuGroup(ad, TEAM);
  await ensureTestOuGroup(ad, TEAM_SUB);
  await ensureAdGroup(ad, PRIV_A);
  await ensureAdGroup(ad, PRIV_B);
  await ad.unbind();
});

/**
 * The access group lists the AD group it-bp-team (⊃ it-bp-team-sub ⊃ nested, left) and two people
 * (suspended, plain). Requests: nested twice (A for 2 h, over A's 1 h maximum: clipped; B), left,
 * suspended and plain. Then, before any activation: left leaves it-bp-team-sub, suspended is
 * suspended, and the group's limits end the day after tomorrow (each grant's end drawn in to it).
 */
async function scenario(): Promise<{ role: string; who: Who; grantId: string; groupDn: string }[]> {
  await resetDatabase();
  const team = await ensureTestOuGroup(ad, TEAM);
  const sub = await ensureTestOuGroup(ad, TEAM_SUB);
  await adAddMember(ad, team, sub);
  await adAddMember(ad, sub, dnOf(SAMS.nested));
  await adAddMember(ad, sub, dnOf(SAMS.left));
  const dnA = await ensureAdGroup(ad, PRIV_A);
  const dnB = await ensureAdGroup(ad, PRIV_B);
  const carol = await localUser("carol", true);
  const people = {} as Record<Who, SessionUser>;
  for (const [who, sam] of Object.entries(SAMS)) people[who as Who] = await localUser(sam);
  const group = await configuredAccessGroup(carol, {
    name: "it-bp Open",
    settings: { autoGrantOnProvisioning: true },
    members: [await groupGuid(team), await directoryGuid(SAMS.suspended), await directoryGuid(SAMS.plain)],
  });
  const a = await publish(carol, PRIV_A, 60);
  const b = await publish(carol, PRIV_B, 60);

  const plan: [string, Who, string, string, number][] = [
    ["nested, clipped", "nested", a.id, dnA, 7200],
    ["nested, second grant", "nested", b.id, dnB, 600],
    ["left the AD group", "left", a.id, dnA, 600],
    ["suspended", "suspended", a.id, dnA, 600],
    ["listed", "plain", b.id, dnB, 600],
  ];
  const out = [];
  for (const [role, who, privilegeId, groupDn, seconds] of plan)
    out.push({ role, who, grantId: (await requestFor(people[who], privilegeId, seconds)).grantId, groupDn });

  await adRemoveMember(ad, sub, dnOf(SAMS.left));
  await setActivation(carol, actorFor(carol), group.id, await directoryGuid(SAMS.suspended), "suspended");
  const dayAfterTomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await updateLimits(carol, actorFor(carol), { id: group.id, version: group.version, limits: limitsSchema.parse({ validTo: dayAfterTomorrow }) });
  return out;
}

async function groupGuid(dn: string): Promise<string> {
  const { searchEntries } = await ad.search(dn, { scope: "base", attributes: ["objectGUID"], explicitBufferAttributes: ["objectGUID"] });
  return guidToString(searchEntries[0]!.objectGUID as Buffer);
}

/** Where each grant landed: its row, its refusal or clip on the audit trail, and the DC. */
async function outcomes(plan: Awaited<ReturnType<typeof scenario>>) {
  const ids = plan.map((p) => p.grantId);
  const rows = new Map((await db.select().from(grants).where(inArray(grants.id, ids))).map((r) => [r.id, r]));
  const events = await db
    .select({ action: auditEvents.action, targetId: auditEvents.targetId, data: auditEvents.data })
    .from(auditEvents)
    .where(and(inArray(auditEvents.action, ["grant.policy_refused", "grant.duration_clipped", "grant.activated"]), inArray(auditEvents.targetId, ids)));
  const result: Record<string, unknown> = {};
  for (const p of plan) {
    const row = rows.get(p.grantId)!;
    result[p.role] = {
      state: row.state,
      lastError: row.lastError,
      notAfter: row.notAfter?.toISOString() ?? null,
      durationSeconds: row.durationSeconds,
      events: events
        .filter((e) => e.targetId === p.grantId)
        .map((e) => (e.action === "grant.activated" ? e.action : { action: e.action, data: e.data }))
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      inDirectory: await isDirectMember(p.groupDn, dnOf(SAMS[p.who])),
    };
  }
  return result;
}

/** Counts the DC reads of tokenGroups while `fn` runs (the real reads: a pass-through spy). */
async function tokenGroupReads<T>(fn: () => Promise<T>): Promise<{ value: T; reads: number }> {
  const run = ServiceConnection.prototype.run;
  let reads = 0;
  vi.spyOn(ServiceConnection.prototype, "run").mockImplementation(function (this: ServiceConnection, what, op) {
    if (what === "Read group memberships") reads++;
    return run.call(this, what, op) as never;
  });
  const value = await fn();
  vi.restoreAllMocks();
  return { value, reads };
}

describe("a batch of activations rechecks the live policy", () => {
  it("reaches the single path's verdict for every grant, asking the DC once per person", async () => {
    // Alone: each grant by the single path, one after the other.
    const single = await scenario();
    for (const p of single) await activateGrant(p.grantId);
    const alone = await outcomes(single);

    // Together: the job that runs first (the listed person's: its own recheck reads nothing from the DC) takes the whole queue.
    const batch = await scenario();
    const { value: summary, reads } = await tokenGroupReads(() => activateQueued(batch.find((p) => p.who === "plain")!.grantId));
    expect(summary).toEqual({ batch: 5, activated: 3, failed: 2, retried: 0, skipped: 0 });
    const together = await outcomes(batch);
    expect(together).toEqual(alone);

    // And those verdicts are the right ones.
    const limitEnd = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 3)).toISOString();
    expect(together).toMatchObject({
      "nested, clipped": { state: "active", durationSeconds: 3600, notAfter: limitEnd, inDirectory: true },
      "nested, second grant": { state: "active", durationSeconds: 600, notAfter: limitEnd, inDirectory: true },
      "left the AD group": { state: "failed", inDirectory: false, lastError: expect.stringMatching(/\(membership\).*it-bp-left is no longer a member/) },
      suspended: { state: "failed", inDirectory: false, lastError: expect.stringMatching(/\(membership\).*it-bp-susp's membership .* is suspended/) },
      listed: { state: "active", durationSeconds: 600, notAfter: limitEnd, inDirectory: true },
    });
    expect((together["nested, clipped"] as { events: unknown[] }).events).toContainEqual(expect.objectContaining({ action: "grant.duration_clipped" }));
    // Nested and left are not listed themselves: their tokenGroups are read, once each, not once per grant.
    expect(reads).toBe(2);
  });
});
