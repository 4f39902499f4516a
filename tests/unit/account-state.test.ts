import { describe, expect, it } from "vitest";
import { accountRefusal, type AccountFlags } from "@/server/auth/account-state";
import { sessionRefusal } from "@/server/auth/sessions";

const now = new Date("2026-11-23T12:00:00Z");
/** Date → AD FILETIME string (100 ns since 1601). */
const fileTime = (d: Date) => String((BigInt(d.getTime()) + 11_644_473_600_000n) * 10_000n);
const ok: AccountFlags = {
  userAccountControl: 512,
  computedUac: 0,
  lockoutTime: "0",
  accountExpires: "9223372036854775807",
  pwdLastSet: fileTime(new Date("2026-11-01")),
};

describe("accountRefusal (AD flags → why the account may not be used)", () => {
  it("lets a normal account through", () => {
    expect(accountRefusal(ok, 30, now)).toBeNull();
    expect(accountRefusal({ ...ok, accountExpires: "0", computedUac: null, lockoutTime: null }, 30, now)).toBeNull();
  });
  it("an account not found by its objectGUID is deleted", () => {
    expect(accountRefusal(null, 30, now)).toBe("deleted");
  });
  it("ACCOUNTDISABLE is disabled", () => {
    expect(accountRefusal({ ...ok, userAccountControl: 514 }, 30, now)).toBe("disabled");
  });
  it("accountExpires in the past is expired, in the future is fine", () => {
    expect(accountRefusal({ ...ok, accountExpires: fileTime(new Date("2026-11-23T11:59:00Z")) }, 30, now)).toBe("expired");
    expect(accountRefusal({ ...ok, accountExpires: fileTime(new Date("2026-11-24T00:00:00Z")) }, 30, now)).toBeNull();
  });
  it("locked: the computed UF_LOCKOUT, or lockoutTime within the lockout duration (0 = until unlocked)", () => {
    expect(accountRefusal({ ...ok, computedUac: 0x10 }, 30, now)).toBe("locked");
    const tenMinutesAgo = fileTime(new Date("2026-11-23T11:50:00Z"));
    expect(accountRefusal({ ...ok, computedUac: null, lockoutTime: tenMinutesAgo }, 30, now)).toBe("locked");
    expect(accountRefusal({ ...ok, computedUac: null, lockoutTime: tenMinutesAgo }, 5, now)).toBeNull();
    expect(accountRefusal({ ...ok, computedUac: null, lockoutTime: tenMinutesAgo }, 0, now)).toBe("locked");
  });
  it("pwdLastSet = 0 (or an expired password) must change", () => {
    expect(accountRefusal({ ...ok, pwdLastSet: "0" }, 30, now)).toBe("password-must-change");
    expect(accountRefusal({ ...ok, computedUac: 0x800000 }, 30, now)).toBe("password-must-change");
  });
  it("disabled wins over the rest", () => {
    expect(accountRefusal({ ...ok, userAccountControl: 514, pwdLastSet: "0", computedUac: 0x10 }, 30, now)).toBe("disabled");
  });
});

describe("sessionRefusal (one session row → why it no longer holds)", () => {
  const row = { endedAt: null, lastSeenAt: new Date("2026-11-23T11:30:00Z"), expiresAt: new Date("2026-11-23T20:00:00Z") };
  it("holds while active and within its lifetime", () => {
    expect(sessionRefusal(row, 60, now)).toBeNull();
  });
  it("ended, idle past the idle timeout, or past its absolute lifetime", () => {
    expect(sessionRefusal({ ...row, endedAt: new Date() }, 60, now)).toBe("ended");
    expect(sessionRefusal(row, 30, now)).toBe("idle");
    expect(sessionRefusal({ ...row, expiresAt: new Date("2026-11-23T12:00:00Z") }, 60, now)).toBe("expired");
  });
});
