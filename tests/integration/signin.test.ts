import { Attribute, Change, Client } from "ldapts";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, signinAttempts } from "@/db/schema";
import { resetDomainPolicyCache, signIn, SigninError } from "@/server/auth/signin";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { checkDirectory } from "@/server/directory/settings";
import { adminClient, BASE_DN, ensureAdUser, resetDatabase, TEST_PASSWORD } from "./fixtures";

let admin: Client;
let victimDn: string;
const ctx = { ip: "192.0.2.10", userAgent: "vitest" };

beforeAll(async () => {
  admin = await adminClient();
  await ensureAdUser(admin, "it-signin");
  victimDn = await ensureAdUser(admin, "it-lockout");
});
beforeEach(async () => {
  await resetDatabase();
  // AD remembers bad passwords for its observation window; start each case from an unlocked, clean account.
  victimDn = await ensureAdUser(admin, "it-lockout");
  // The throttle reads the lockout threshold the worker detected from the directory.
  await checkDirectory(SYSTEM_ACTOR);
});
afterAll(async () => {
  await admin.unbind();
});

async function adAttrs(dn: string) {
  const { searchEntries } = await admin.search(dn, { scope: "base", attributes: ["badPwdCount", "lockoutTime"] });
  return { badPwdCount: Number(searchEntries[0]?.badPwdCount ?? 0), lockoutTime: Number(searchEntries[0]?.lockoutTime ?? 0) };
}

describe("sign-in against AD", () => {
  it("signs in with the right password and records the success", async () => {
    const user = await signIn({ username: "it-signin", password: TEST_PASSWORD }, ctx);
    expect(user.username).toBe("it-signin");
    expect(user.isAdmin).toBe(false);
    const events = await db.select().from(auditEvents).where(eq(auditEvents.action, "auth.signin_succeeded"));
    expect(events).toHaveLength(1);
    expect(events[0]?.ip).toBe(ctx.ip);
  });

  it("makes members of the admin group (through nesting) admins", async () => {
    const carol = await signIn({ username: "carol", password: process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!" }, ctx);
    expect(carol.isAdmin).toBe(true);
  });

  it("refuses a wrong password and an unknown user with the same message", async () => {
    const wrong = await signIn({ username: "it-signin", password: "nope" }, ctx).catch((e: unknown) => e);
    const unknown = await signIn({ username: "no-such-user", password: "nope" }, ctx).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SigninError);
    expect((wrong as Error).message).toBe("Wrong username or password.");
    expect((unknown as Error).message).toBe("Wrong username or password.");
  });

  it("refuses an empty password before any bind (LDAP would accept it as anonymous)", async () => {
    const before = await adAttrs(victimDn);
    const err = await signIn({ username: "it-lockout", password: "" }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SigninError);
    expect(await db.select().from(signinAttempts)).toHaveLength(0);
    expect((await adAttrs(victimDn)).badPwdCount).toBe(before.badPwdCount);
  });

  it("stops trying before the domain would lock the account, whatever the attacker does", async () => {
    const results: string[] = [];
    for (let i = 0; i < 10; i++) {
      const err = (await signIn({ username: "it-lockout", password: `wrong-${i}` }, { ...ctx, ip: `192.0.2.${100 + i}` }).catch(
        (e: unknown) => e,
      )) as SigninError;
      results.push(err.reason);
    }
    // Default limit 3, domain lockout threshold 5: three real tries, then refusals without a bind.
    expect(results.slice(0, 3)).toEqual(["invalid", "invalid", "invalid"]);
    expect(results.slice(3).every((r) => r === "throttled")).toBe(true);
    const ad = await adAttrs(victimDn);
    expect(ad.badPwdCount).toBeLessThan(5);
    expect(ad.lockoutTime).toBe(0);
    // The account still works directly against AD.
    const direct = new Client({ url: process.env.LDAP_URL!.split(",")[0]!, tlsOptions: { ca: [readFileSync(process.env.LDAP_CA_FILE!)] } });
    await expect(direct.bind(victimDn, TEST_PASSWORD)).resolves.toBeUndefined();
    await direct.unbind();
  });

  it("counts parallel attempts too: ten at once never reach the lockout threshold", async () => {
    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        signIn({ username: "it-lockout", password: `parallel-${i}` }, { ...ctx, ip: `198.51.100.${i}` }).then(
          () => null,
          (e: unknown) => e as SigninError,
        ),
      ),
    );
    expect(all.filter((e) => e?.reason === "invalid")).toHaveLength(3);
    const ad = await adAttrs(victimDn);
    expect(ad.badPwdCount).toBeLessThan(5);
    expect(ad.lockoutTime).toBe(0);
  });

  it("counts every spelling of one account together (name, DOMAIN\\name, UPN)", async () => {
    const spellings = ["it-lockout", "INTERIM\\it-lockout", "it-lockout@interim.test", "IT-LOCKOUT", "interim\\IT-Lockout"];
    const reasons: string[] = [];
    for (const username of spellings) reasons.push(((await signIn({ username, password: "wrong" }, ctx).catch((e: unknown) => e)) as SigninError).reason);
    expect(reasons).toEqual(["invalid", "invalid", "invalid", "throttled", "throttled"]);
    expect((await adAttrs(victimDn)).lockoutTime).toBe(0);
  });

  it("throttles by IP across usernames", async () => {
    process.env.SIGNIN_MAX_FAILURES_PER_IP = "2";
    const { resetEnvForTests } = await import("@/server/env");
    resetEnvForTests();
    try {
      const reasons: string[] = [];
      for (const u of ["x1", "x2", "x3"]) {
        reasons.push(((await signIn({ username: u, password: "p" }, ctx).catch((e: unknown) => e)) as SigninError).reason);
      }
      expect(reasons).toEqual(["invalid", "invalid", "throttled"]);
    } finally {
      delete process.env.SIGNIN_MAX_FAILURES_PER_IP;
      resetEnvForTests();
    }
  });
});

/** Sets the domain's lockoutThreshold for `fn` (what `samba-tool domain passwordsettings set --account-lockout-threshold` writes), then restores it. */
async function withLockoutThreshold(threshold: number, fn: () => Promise<void>) {
  const { searchEntries } = await admin.search(BASE_DN, { scope: "base", attributes: ["lockoutThreshold"] });
  const before = String(searchEntries[0]?.lockoutThreshold ?? "0");
  const set = (v: string) =>
    admin.modify(BASE_DN, new Change({ operation: "replace", modification: new Attribute({ type: "lockoutThreshold", values: [v] }) }));
  await set(String(threshold));
  resetDomainPolicyCache();
  try {
    await fn();
  } finally {
    await set(before);
    resetDomainPolicyCache();
  }
}

describe("sign-in hardening (issue 13 item 10)", () => {
  it("with lockoutThreshold 1 never binds (any wrong password would lock): refused, the account untouched", async () => {
    await withLockoutThreshold(1, async () => {
      const before = await adAttrs(victimDn);
      const trace: string[] = [];
      const err = (await signIn({ username: "it-lockout", password: "wrong-once" }, { ...ctx, trace }).catch((e: unknown) => e)) as SigninError;
      expect(err.reason).toBe("policy");
      expect(err.message).toMatch(/lockout policy/);
      expect(trace).not.toContain("bind");
      const ad = await adAttrs(victimDn);
      expect(ad.badPwdCount).toBe(before.badPwdCount);
      expect(ad.lockoutTime).toBe(0);
    });
  });

  it("with lockoutThreshold 2 binds at most once per observation window, so AD never reaches its threshold", async () => {
    await withLockoutThreshold(2, async () => {
      const reasons: string[] = [];
      for (let i = 0; i < 4; i++) {
        reasons.push(
          ((await signIn({ username: "it-lockout", password: `wrong-${i}` }, { ...ctx, ip: `192.0.2.${50 + i}` }).catch((e: unknown) => e)) as SigninError)
            .reason,
        );
      }
      expect(reasons).toEqual(["invalid", "throttled", "throttled", "throttled"]);
      const ad = await adAttrs(victimDn);
      expect(ad.badPwdCount).toBeLessThan(2);
      expect(ad.lockoutTime).toBe(0);
    });
  });

  it("known, unknown and disabled usernames take the same steps (one lookup, one reservation, one bind, one audit)", async () => {
    const disabledDn = await ensureAdUser(admin, "it-signin-off");
    await admin.modify(disabledDn, new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: ["514"] }) }));
    try {
      const traces: Record<string, string[]> = { known: [], unknown: [], disabled: [] };
      const names = { known: "it-signin", unknown: "it-no-such-person", disabled: "it-signin-off" };
      for (const [k, username] of Object.entries(names)) {
        const err = (await signIn({ username, password: "wrong-password" }, { ...ctx, trace: traces[k] }).catch((e: unknown) => e)) as SigninError;
        expect(err.message).toBe("Wrong username or password.");
      }
      expect(traces.known).toEqual(["lookup", "reserve", "bind", "audit"]);
      expect(traces.unknown).toEqual(traces.known);
      expect(traces.disabled).toEqual(traces.known);
      // The bind for nobody moved no real account's count.
      expect((await adAttrs(disabledDn)).badPwdCount).toBe(0);
    } finally {
      await ensureAdUser(admin, "it-signin-off");
    }
  });

  it("keeps a failed sign-in's username only when it names an account; a password typed as a username is stored nowhere", async () => {
    const typed = "Hunter2-Correct-Horse!";
    await signIn({ username: typed, password: "x" }, ctx).catch(() => undefined);
    await signIn({ username: "it-signin", password: "wrong" }, ctx).catch(() => undefined);
    const events = await db.select().from(auditEvents).where(eq(auditEvents.action, "auth.signin_failed"));
    expect(events).toHaveLength(2);
    const all = JSON.stringify(events) + JSON.stringify(await db.select().from(signinAttempts));
    expect(all.toLowerCase()).not.toContain(typed.toLowerCase());
    expect(events.map((e) => (e.data as { username: string }).username)).toEqual([expect.stringMatching(/^hmac:[0-9a-f]{32}$/), "it-signin"]);
    // The same typed name hashes the same way, so repeated tries stay visible.
    await signIn({ username: typed.toUpperCase(), password: "x" }, ctx).catch(() => undefined);
    const again = await db.select().from(auditEvents).where(eq(auditEvents.action, "auth.signin_failed"));
    expect((again[2]!.data as { username: string }).username).toBe((events[0]!.data as { username: string }).username);
  });

  it("throttles IPv6 clients per /64, not per address", async () => {
    process.env.SIGNIN_MAX_FAILURES_PER_IP = "2";
    const { resetEnvForTests } = await import("@/server/env");
    resetEnvForTests();
    try {
      const reasons: string[] = [];
      for (const [i, ip] of ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:ffff::3"].entries()) {
        reasons.push(((await signIn({ username: `v6-${i}`, password: "p" }, { ...ctx, ip }).catch((e: unknown) => e)) as SigninError).reason);
      }
      expect(reasons).toEqual(["invalid", "invalid", "throttled"]);
      // Another /64 has its own bucket.
      const other = (await signIn({ username: "v6-x", password: "p" }, { ...ctx, ip: "2001:db8:7:2::1" }).catch((e: unknown) => e)) as SigninError;
      expect(other.reason).toBe("invalid");
    } finally {
      delete process.env.SIGNIN_MAX_FAILURES_PER_IP;
      resetEnvForTests();
    }
  });
});
