import "server-only";
import { eq } from "drizzle-orm";
import { EqualityFilter, type Entry, OrFilter, ResultCodeError } from "ldapts";
import { db } from "@/db";
import { users } from "@/db/schema";
import { guidToBytes, guidToString } from "@/server/directory/binary";
import { serviceConnection } from "@/server/directory/connection";
import { adIntervalToMinutes } from "@/server/directory/domain";
import { DirectoryError } from "@/server/directory/errors";
import { fileTimeToDate, str } from "@/server/directory/service";
import { env } from "@/server/env";
import { unauthenticated, unavailable } from "@/server/errors";

/*
 * Whether a person's AD account may still use Interim: every authenticated call asks (tRPC's
 * authedProcedure, next-auth's jwt callback, an approver's vote), at most one LDAP read per user
 * per ACCOUNT_STATE_TTL_MS. The account is found by objectGUID, never by DN (a rename or a move
 * changes the DN, not the account).
 */

/** How long one answer from AD is used: at most a minute between a change in AD and Interim following it. */
export const ACCOUNT_STATE_TTL_MS = 60_000;
/** When AD cannot be asked, the last "usable" answer holds this long, then calls are refused as unavailable. */
export const ACCOUNT_STATE_GRACE_MS = 10 * 60_000;

export type AccountRefusal = "deleted" | "disabled" | "locked" | "expired" | "password-must-change";

/** Refusals that end a person's access for good (worker offboarding); locked and password-must-change pass. */
export const OFFBOARDING_REFUSALS: readonly AccountRefusal[] = ["deleted", "disabled", "expired"];

export const REFUSAL_MESSAGES: Record<AccountRefusal, string> = {
  deleted: "Your account no longer exists in the directory. You have been signed out.",
  disabled: "Your account is disabled in the directory. You have been signed out.",
  locked: "Your account is locked out in the directory. You have been signed out.",
  expired: "Your account has expired in the directory. You have been signed out.",
  "password-must-change": "You must change your password before you can use Interim. You have been signed out.",
};

const UF_ACCOUNTDISABLE = 0x2;
const UF_LOCKOUT = 0x10;
const UF_PASSWORD_EXPIRED = 0x800000;
/** accountExpires values meaning "never" (0 and the largest FILETIME). */
const NEVER = new Set(["0", "9223372036854775807"]);

/** What AD says about an account, as read (null: not found by its objectGUID). */
export interface AccountFlags {
  userAccountControl: number;
  /** msDS-User-Account-Control-Computed (UF_LOCKOUT, UF_PASSWORD_EXPIRED), when the DC computes it. */
  computedUac: number | null;
  /** FILETIME strings as AD stores them. */
  lockoutTime: string | null;
  accountExpires: string | null;
  pwdLastSet: string | null;
}

/**
 * The pure decision: flags → why the account may not be used (or null). `lockoutDurationMinutes`
 * is the domain's lockoutDuration; 0 means a lockout lasts until an administrator unlocks.
 */
export function accountRefusal(flags: AccountFlags | null, lockoutDurationMinutes: number, now = new Date()): AccountRefusal | null {
  if (!flags) return "deleted";
  if (flags.userAccountControl & UF_ACCOUNTDISABLE) return "disabled";
  const expires = flags.accountExpires && !NEVER.has(flags.accountExpires) ? fileTimeToDate(flags.accountExpires) : null;
  if (expires && expires.getTime() <= now.getTime()) return "expired";
  if (flags.computedUac !== null && flags.computedUac & UF_LOCKOUT) return "locked";
  const lockedAt = fileTimeToDate(flags.lockoutTime);
  if (lockedAt && (lockoutDurationMinutes <= 0 || now.getTime() < lockedAt.getTime() + lockoutDurationMinutes * 60_000)) return "locked";
  if (flags.pwdLastSet === "0") return "password-must-change";
  if (flags.computedUac !== null && flags.computedUac & UF_PASSWORD_EXPIRED) return "password-must-change";
  return null;
}

const ATTRS = ["objectGUID", "userAccountControl", "msDS-User-Account-Control-Computed", "lockoutTime", "accountExpires", "pwdLastSet"];

function flagsOf(e: Entry): AccountFlags {
  const computed = str(e, "msDS-User-Account-Control-Computed");
  return {
    userAccountControl: Number(str(e, "userAccountControl") ?? 0),
    computedUac: computed === null ? null : Number(computed),
    lockoutTime: str(e, "lockoutTime"),
    accountExpires: str(e, "accountExpires"),
    pwdLastSet: str(e, "pwdLastSet"),
  };
}

let durationCache: { at: number; minutes: number } | undefined;

/** The domain's lockoutDuration in minutes (cached five minutes). */
async function lockoutDurationMinutes(): Promise<number> {
  if (durationCache && Date.now() - durationCache.at < 5 * 60_000) return durationCache.minutes;
  const minutes = await serviceConnection().run("Read lockout duration", async (c) => {
    const { searchEntries } = await c.search(env.LDAP_BASE_DN, { scope: "base", filter: "(objectClass=*)", attributes: ["lockoutDuration"] });
    return adIntervalToMinutes(searchEntries[0] ? str(searchEntries[0], "lockoutDuration") : null);
  });
  durationCache = { at: Date.now(), minutes };
  return minutes;
}

/**
 * Reads many accounts at once by objectGUID (one search per 100), for the worker's sweep and the
 * per-call check alike. Every GUID asked for is in the answer; a GUID AD does not know is "deleted".
 */
export async function readAccountStates(guids: readonly string[], now = new Date()): Promise<Map<string, AccountRefusal | null>> {
  const wanted = [...new Set(guids.map((g) => g.toLowerCase()))];
  const found = new Map<string, AccountFlags>();
  const duration = wanted.length ? await lockoutDurationMinutes() : 0;
  for (let i = 0; i < wanted.length; i += 100) {
    const chunk = wanted.slice(i, i + 100);
    const filter = new OrFilter({ filters: chunk.map((g) => new EqualityFilter({ attribute: "objectGUID", value: guidToBytes(g) })) });
    const entries = await serviceConnection().run("Read account state", async (c) => {
      try {
        const { searchEntries } = await c.search(env.LDAP_BASE_DN, { scope: "sub", filter, attributes: ATTRS, explicitBufferAttributes: ["objectGUID"] });
        return searchEntries;
      } catch (err) {
        if (err instanceof ResultCodeError && err.code === 32) return [];
        throw err;
      }
    });
    for (const e of entries) {
      const raw = e.objectGUID;
      const guid = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) && Buffer.isBuffer(raw[0]) ? raw[0] : null;
      if (guid) found.set(guidToString(guid), flagsOf(e));
    }
  }
  return new Map(wanted.map((g) => [g, accountRefusal(found.get(g) ?? null, duration, now)]));
}

interface Cached {
  guid: string;
  username: string;
  /** When AD last answered for this user. */
  at: number;
  refusal: AccountRefusal | null;
}
const globalForCache = globalThis as unknown as { interimAccountStates?: Map<string, Cached> };
const cache = (globalForCache.interimAccountStates ??= new Map());

/** Tests: forget every cached answer. */
export function resetAccountStateCache() {
  cache.clear();
  durationCache = undefined;
}

export interface AccountState {
  userId: string;
  username: string;
  guid: string;
  refusal: AccountRefusal | null;
  /** True when this call read AD (not the cache): the caller acts on a fresh refusal once. */
  fresh: boolean;
}

/**
 * The account's state, from the cache when AD answered less than ACCOUNT_STATE_TTL_MS ago. A user
 * without a row is "deleted". AD unreachable: the last usable answer holds for the grace period.
 */
export async function accountStateOf(userId: string): Promise<AccountState> {
  const hit = cache.get(userId);
  const now = Date.now();
  if (hit && now - hit.at < ACCOUNT_STATE_TTL_MS) return { userId, username: hit.username, guid: hit.guid, refusal: hit.refusal, fresh: false };
  let who = hit;
  if (!who) {
    const [row] = await db.select({ guid: users.objectGuid, username: users.username }).from(users).where(eq(users.id, userId));
    if (!row) return { userId, username: "", guid: "", refusal: "deleted", fresh: false };
    who = { guid: row.guid, username: row.username, at: 0, refusal: null };
  }
  let refusal: AccountRefusal | null;
  try {
    const states = await readAccountStates([who.guid], new Date(now));
    refusal = states.has(who.guid.toLowerCase()) ? states.get(who.guid.toLowerCase())! : "deleted";
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    if (hit && hit.refusal === null && now - hit.at < ACCOUNT_STATE_GRACE_MS)
      return { userId, username: hit.username, guid: hit.guid, refusal: null, fresh: false };
    throw unavailable("The directory cannot confirm your account right now. Try again in a moment.", err);
  }
  cache.set(userId, { guid: who.guid, username: who.username, at: now, refusal });
  return { userId, username: who.username, guid: who.guid, refusal, fresh: true };
}

/** Throws UNAUTHORIZED with the reason when the account may not be used (no side effects: see sessions.ts). */
export async function assertAccountUsable(userId: string): Promise<void> {
  const state = await accountStateOf(userId);
  if (state.refusal) throw unauthenticated(REFUSAL_MESSAGES[state.refusal]);
}
