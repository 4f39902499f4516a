import pino from "pino";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/db";
import { auditEvents, userSessions } from "@/db/schema";
import { resetAccountStateCache } from "@/server/auth/account-state";
import { authOptions } from "@/server/auth/options";
import type { SessionUser } from "@/server/auth/permissions";
import { SESSION_TOUCH_MS, startSession } from "@/server/auth/sessions";
import { env } from "@/server/env";
import { createCaller } from "@/server/trpc/root";
import { localUser, resetDatabase, trpcHttp } from "./fixtures";

/*
 * Server-side sessions (issue 13 item 2): the JWT names a user_sessions row; an ended, idle or
 * too old session is refused by tRPC and by next-auth's jwt callback (/api/auth/session), and an
 * admin can end a person's sessions.
 */

let carol: SessionUser;
let alice: SessionUser;

beforeEach(async () => {
  await resetDatabase();
  resetAccountStateCache();
  carol = await localUser("carol", true);
  alice = await localUser("alice");
});
afterEach(() => {
  vi.useRealTimers();
});

const callerFor = (user: SessionUser, sessionId: string | null, background = false) =>
  createCaller({ user, sessionId, background, ip: "127.0.0.1", userAgent: "vitest", requestId: "vitest", log: pino({ level: "silent" }) });
const jwtFor = (user: SessionUser, sid?: string) =>
  authOptions.callbacks!.jwt!({
    token: { sub: user.id, sid, username: user.username, dn: user.dn, displayName: user.displayName, isAdmin: false },
    account: null,
    user: undefined as never,
  });
const sessionRow = async (sid: string) => (await db.select().from(userSessions).where(eq(userSessions.id, sid)))[0]!;
/** Moves the clock the app reads (Date only: sockets and timers keep real time). */
function clockAt(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
}

describe("server-side sessions", () => {
  it("an admin sees open sessions and ends a person's: tRPC and the jwt callback refuse them from then on, audited", async () => {
    const sid = await startSession(alice.id, "192.0.2.7", "Firefox");
    const other = await startSession(alice.id, "192.0.2.8", "Chromium");
    await expect(callerFor(alice, sid).requests.mine()).resolves.toBeDefined();

    const list = await trpcHttp(carol, "sessions.list", undefined, { query: true });
    expect(list.ok && (list.data as { id: string }[]).map((s) => s.id).sort()).toEqual([sid, other].sort());
    // Not for people who are not admins.
    expect(await trpcHttp(alice, "sessions.list", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await trpcHttp(alice, "sessions.end", { userId: carol.id })).toMatchObject({ ok: false, code: "FORBIDDEN" });

    expect(await trpcHttp(carol, "sessions.end", { userId: alice.id })).toEqual({ ok: true, data: { ended: 2 } });
    await expect(callerFor(alice, sid).requests.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/session has ended/) });
    await expect(jwtFor(alice, other)).rejects.toThrow(/session has ended/);
    expect((await sessionRow(sid)).endReason).toBe("ended-by-admin");
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.action, "auth.sessions_ended"));
    expect(event).toMatchObject({ actorId: carol.id, targetId: alice.id, data: { username: "alice", reason: "ended-by-admin", sessions: 2 } });
    expect(await trpcHttp(carol, "sessions.list", undefined, { query: true })).toEqual({ ok: true, data: [] });
  });

  it("a JWT without a session, or with someone else's, is refused", async () => {
    await expect(jwtFor(alice)).rejects.toThrow(/session has ended/);
    await expect(callerFor(alice, null).requests.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const carols = await startSession(carol.id, null, null);
    await expect(callerFor(alice, carols).requests.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("ends after INTERIM_SESSION_IDLE_MINUTES without a tRPC call; /api/auth/session polling is not activity", async () => {
    const start = Date.now();
    const sid = await startSession(alice.id, null, null);
    const idleMs = env.INTERIM_SESSION_IDLE_MINUTES * 60_000;
    // The session endpoint alone, just before the limit: still valid, and it does not count as use.
    clockAt(start + idleMs - 5_000);
    await expect(jwtFor(alice, sid)).resolves.toMatchObject({ sid });
    expect((await sessionRow(sid)).lastSeenAt.getTime()).toBeLessThan(start + 1_000);
    clockAt(start + idleMs + 1_000);
    await expect(jwtFor(alice, sid)).rejects.toThrow(/inactivity/);
    expect((await sessionRow(sid)).endReason).toBe("idle");
    await expect(callerFor(alice, sid).requests.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("an unattended tab's polls (marked background by the browser) do not keep it alive", async () => {
    const start = Date.now();
    const sid = await startSession(alice.id, null, null);
    const idleMs = env.INTERIM_SESSION_IDLE_MINUTES * 60_000;
    for (let t = start + 60_000; t < start + idleMs; t += 10 * 60_000) {
      clockAt(t);
      await callerFor(alice, sid, true).requests.mine();
    }
    expect((await sessionRow(sid)).lastSeenAt.getTime()).toBeLessThan(start + 1_000);
    clockAt(start + idleMs + 1_000);
    await expect(callerFor(alice, sid, true).requests.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/inactivity/) });
    expect((await sessionRow(sid)).endReason).toBe("idle");
  });

  it("tRPC calls keep it alive (last seen written at most once a minute), but not past its absolute lifetime", async () => {
    const start = Date.now();
    const sid = await startSession(alice.id, null, null);
    await callerFor(alice, sid).requests.mine();
    expect((await sessionRow(sid)).lastSeenAt.getTime()).toBeLessThan(start + SESSION_TOUCH_MS);
    const step = (env.INTERIM_SESSION_IDLE_MINUTES * 60_000) / 2;
    let t = start;
    const maxAgeMs = env.INTERIM_SESSION_MAX_AGE_HOURS * 3_600_000;
    while (t + step < start + maxAgeMs) {
      t += step;
      clockAt(t);
      await callerFor(alice, sid).requests.mine();
    }
    expect((await sessionRow(sid)).lastSeenAt.getTime()).toBe(t);
    clockAt(start + maxAgeMs + 1_000);
    await expect(callerFor(alice, sid).requests.mine()).rejects.toMatchObject({ message: expect.stringMatching(/maximum length/) });
    expect((await sessionRow(sid)).endReason).toBe("expired");
  });

  it("signing out ends the session on the server", async () => {
    const sid = await startSession(alice.id, null, null);
    await authOptions.events!.signOut!({ token: { sub: alice.id, sid, username: "alice" }, session: null as never });
    await expect(jwtFor(alice, sid)).rejects.toThrow(/session has ended/);
    expect((await sessionRow(sid)).endReason).toBe("signed-out");
  });
});
