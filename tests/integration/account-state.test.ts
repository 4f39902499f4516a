import { Attribute, Change, type Client } from "ldapts";
import pino from "pino";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { JobHelpers } from "graphile-worker";
import { db } from "@/db";
import { auditEvents, requests, userSessions } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import { decide } from "@/server/approvals/service";
import { ACCOUNT_STATE_TTL_MS, readAccountStates, resetAccountStateCache } from "@/server/auth/account-state";
import { authOptions } from "@/server/auth/options";
import type { SessionUser } from "@/server/auth/permissions";
import { startSession } from "@/server/auth/sessions";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { submitRequest } from "@/server/requests/service";
import { createCaller } from "@/server/trpc/root";
import { accounts__offboard } from "@/worker/tasks/accounts__offboard";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  grantRow,
  isDirectMember,
  localUser,
  openAccessGroup,
  publish,
  publishNamed,
  requestFor,
  resetDatabase,
  trpcHttp,
} from "./fixtures";

/*
 * Issue 13 item 2: an account disabled, expired or deleted in AD stops using Interim within
 * ACCOUNT_STATE_TTL_MS — tRPC calls, /api/auth/session (next-auth's jwt callback), votes — and the
 * worker cancels its pending requests and removes its live grants from AD.
 */

let ad: Client;
let carol: SessionUser;
const SAM = "it-acct-state";
const APPROVER = "it-acct-approver";
let dn: string;
let approverDn: string;

const setUac = (target: string, uac: string) =>
  ad.modify(target, new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: [uac] }) }));
const helpers = { addJob: async () => undefined } as unknown as JobHelpers;

beforeAll(async () => {
  ad = await adminClient();
  await ensureAdGroup(ad, "it-acct-priv");
  await ensureAdGroup(ad, "it-acct-live");
});
beforeEach(async () => {
  await resetDatabase();
  resetAccountStateCache();
  dn = await ensureAdUser(ad, SAM);
  approverDn = await ensureAdUser(ad, APPROVER);
  carol = await localUser("carol", true);
});
afterEach(async () => {
  vi.useRealTimers();
  // Leave the accounts enabled for the next test and the next run.
  await ensureAdUser(ad, SAM);
  await ensureAdUser(ad, APPROVER);
});
afterAll(async () => {
  await ad.unbind();
});

/** The time the cache is sure to have forgotten every answer read before now. */
function afterTtl() {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ACCOUNT_STATE_TTL_MS + 1_000);
}

describe("the per-call account check", () => {
  it("a disabled account's tRPC calls fail once the cached answer is older than the TTL, with a clear reason", async () => {
    const user = await localUser(SAM);
    expect((await trpcHttp(user, "requests.mine", undefined, { query: true })).ok).toBe(true);
    await setUac(dn, "514");
    // One LDAP read per user per TTL: the answer read a moment ago still holds.
    expect((await trpcHttp(user, "requests.mine", undefined, { query: true })).ok).toBe(true);
    afterTtl();
    const refused = await trpcHttp(user, "requests.mine", undefined, { query: true });
    expect(refused).toMatchObject({ ok: false, code: "UNAUTHORIZED", message: expect.stringMatching(/disabled in the directory/) });
  });

  it("an account whose password must change, or that expired, is refused too", async () => {
    const user = await localUser(SAM);
    await ad.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "pwdLastSet", values: ["0"] }) }));
    expect(await trpcHttp(user, "requests.mine", undefined, { query: true })).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    resetAccountStateCache();
    await ensureAdUser(ad, SAM);
    const yesterday = String((BigInt(Date.now() - 86_400_000) + 11_644_473_600_000n) * 10_000n);
    await ad.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "accountExpires", values: [yesterday] }) }));
    expect(await trpcHttp(user, "requests.mine", undefined, { query: true })).toMatchObject({
      ok: false,
      code: "UNAUTHORIZED",
      message: expect.stringMatching(/expired/),
    });
    await ad.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "accountExpires", values: ["0"] }) }));
  });

  it("a locked-out account is refused (lockoutTime within the domain's lockout duration)", async () => {
    const user = await localUser(SAM);
    const now = String((BigInt(Date.now()) + 11_644_473_600_000n) * 10_000n);
    await ad.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "lockoutTime", values: [now] }) }));
    expect(await trpcHttp(user, "requests.mine", undefined, { query: true })).toMatchObject({ ok: false, message: expect.stringMatching(/locked/) });
  });

  it("/api/auth/session stops renewing: the jwt callback refuses the token and the session row ends", async () => {
    const user = await localUser(SAM);
    const sid = await startSession(user.id, "192.0.2.1", "vitest");
    const token = { sub: user.id, sid, username: user.username, dn: user.dn, displayName: user.displayName, isAdmin: false };
    const jwt = authOptions.callbacks!.jwt!;
    await expect(jwt({ token, account: null, user: undefined as never })).resolves.toMatchObject({ sid });
    await setUac(dn, "514");
    afterTtl();
    await expect(jwt({ token, account: null, user: undefined as never })).rejects.toThrow(/disabled in the directory/);
    const [row] = await db.select().from(userSessions).where(eq(userSessions.id, sid));
    expect(row).toMatchObject({ endReason: "account-disabled" });
    expect(row!.endedAt).not.toBeNull();
    // The account enabled again does not revive the ended session.
    vi.useRealTimers();
    await ensureAdUser(ad, SAM);
    resetAccountStateCache();
    await expect(jwt({ token, account: null, user: undefined as never })).rejects.toThrow(/session has ended/);
    const caller = createCaller({ user, sessionId: sid, ip: "127.0.0.1", userAgent: "vitest", requestId: "vitest", log: pino({ level: "silent" }) });
    await expect(caller.requests.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("a disabled approver's vote is refused", async () => {
    const requester = await localUser(SAM);
    const approver = await localUser(APPROVER);
    const privilegeId = (await publishNamed(carol, "it-acct-priv", "Acct Privilege")).id;
    const g = await configuredAccessGroup(carol, {
      name: "it-acct approvals",
      settings: { requiresApproval: true, autoGrantOnProvisioning: true },
      members: [await directoryGuid(SAM)],
    });
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      approvers: [{ userGuid: await directoryGuid(APPROVER), level: 1 }],
      levels: [],
    });
    const r = await submitRequest(requester, actorFor(requester), { privilegeId, durationMinutes: 30, justification: "integration test" });
    await setUac(approverDn, "514");
    await expect(decide(approver, actorFor(approver), { requestId: r.requestId, decision: "approve", comment: "" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    const [req] = await db.select().from(requests).where(eq(requests.id, r.requestId));
    expect(req!.status).toBe("pending");
  });
});

describe("offboarding in the worker", () => {
  it("a disabled account's pending request is cancelled and its live grant removed from the AD group, audited", async () => {
    const user = await localUser(SAM);
    // A pending request, waiting for an approver (submitted while this is the person's only group).
    const waiting = (await publishNamed(carol, "it-acct-priv", "Acct waiting")).id;
    const g = await configuredAccessGroup(carol, {
      name: "it-acct waiting",
      settings: { requiresApproval: true, autoGrantOnProvisioning: true },
      members: [await directoryGuid(SAM)],
    });
    await updateApprovers(carol, actorFor(carol), {
      id: g.id,
      version: g.version,
      approvers: [{ userGuid: await directoryGuid(APPROVER), level: 1 }],
      levels: [],
    });
    const pending = await submitRequest(user, actorFor(user), { privilegeId: waiting, durationMinutes: 30, justification: "integration test" });
    expect(pending.grantId).toBeNull();
    // A live grant, in AD (a group without approval is preferred from now on).
    const open = await publish(carol, "it-acct-live");
    await openAccessGroup(carol, [user]);
    const { grantId } = await requestFor(user, open.id);
    await activateGrant(grantId);
    const groupDn = open.groupDn;
    expect(await isDirectMember(groupDn, dn)).toBe(true);
    const sid = await startSession(user.id, "192.0.2.1", "vitest");

    await setUac(dn, "514");
    await accounts__offboard({}, helpers);
    await sweepExpired();

    const [req] = await db.select().from(requests).where(eq(requests.id, pending.requestId));
    expect(req!.status).toBe("cancelled");
    expect((await grantRow(grantId)).end_reason).toBe("revoked");
    expect(await isDirectMember(groupDn, dn)).toBe(false);
    const [session] = await db.select().from(userSessions).where(eq(userSessions.id, sid));
    expect(session!.endReason).toBe("account-disabled");
    const offboarded = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "user.offboarded"), eq(auditEvents.targetId, user.id)));
    expect(offboarded[0]?.data).toMatchObject({ reason: "disabled", requestsCancelled: 1, grantsEnded: 1 });
  });

  it("an account deleted in AD is found missing by objectGUID and offboarded", async () => {
    const sam = `it-acct-del-${Math.random().toString(36).slice(2, 7)}`;
    const delDn = await ensureAdUser(ad, sam);
    try {
      const user = await localUser(sam);
      const guid = await directoryGuid(sam);
      const sid = await startSession(user.id, "192.0.2.1", "vitest");
      // Renamed first: the check follows the GUID, not the DN.
      const renamed = `CN=${sam}-moved,${delDn.slice(delDn.indexOf(",") + 1)}`;
      await ad.modifyDN(delDn, `CN=${sam}-moved`);
      expect((await readAccountStates([guid])).get(guid)).toBeNull();
      await ad.del(renamed);
      expect((await readAccountStates([guid])).get(guid)).toBe("deleted");
      await accounts__offboard({ userId: user.id }, helpers);
      const [session] = await db.select().from(userSessions).where(eq(userSessions.id, sid));
      expect(session!.endReason).toBe("account-deleted");
    } finally {
      await ad.del(delDn).catch(() => undefined);
      await ad.del(`CN=${sam}-moved,${delDn.slice(delDn.indexOf(",") + 1)}`).catch(() => undefined);
    }
  });
});
