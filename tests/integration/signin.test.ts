import { Client } from "ldapts";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, signinAttempts } from "@/db/schema";
import { signIn, SigninError } from "@/server/auth/signin";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { checkDirectory } from "@/server/directory/settings";
import { adminClient, ensureAdUser, resetDatabase, TEST_PASSWORD } from "./fixtures";

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
