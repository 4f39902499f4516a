import "server-only";
import { and, count, eq, gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { signinAttempts, users } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { DirectoryError } from "@/server/directory/errors";
import { readDomainPolicy, type DomainPolicy } from "@/server/directory/domain";
import { findUser, isNestedMember, normalizeLogin, verifyPassword, type DirectoryUser } from "@/server/directory/service";
import { env } from "@/server/env";
import { upsertDirectoryUser } from "@/server/users/service";
import type { SessionUser } from "./permissions";
import { signinInput } from "./schemas";
import { decideThrottle, directoryFailures } from "./throttle";

/** A refusal the sign-in page can show as is. Deliberately vague about which part was wrong. */
export class SigninError extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "throttled" | "directory",
  ) {
    super(message);
    this.name = "SigninError";
  }
}

const INVALID = "Wrong username or password.";
const DIRECTORY_DOWN = "The directory cannot be reached right now. Try again in a moment.";

let policyCache: { at: number; policy: DomainPolicy } | undefined;

/** The domain's lockout policy, read from AD (cached for five minutes). */
async function domainPolicy(): Promise<DomainPolicy> {
  if (!policyCache || Date.now() - policyCache.at > 5 * 60_000) policyCache = { at: Date.now(), policy: await readDomainPolicy() };
  return policyCache.policy;
}

interface Context {
  ip: string;
  userAgent: string | null;
}

async function auditFailure(username: string, reason: string, ctx: Context) {
  await db.transaction((tx) =>
    recordAudit(tx, { type: "user", id: null, name: username, ip: ctx.ip, userAgent: ctx.userAgent }, [
      { action: "auth.signin_failed", targetType: "user", targetId: null, data: { username, reason } },
    ]),
  );
}

/**
 * Reserves one attempt for `accountKey`: under a per-account lock, counts recent failures (as AD
 * would: since the last success, within the longer of our window and AD's observation window) and
 * records this attempt as a failure before any bind, so parallel tries all count.
 * Returns the attempt id, or null when the attempt is refused.
 */
async function reserveAttempt(accountKey: string, username: string, ip: string, policy: DomainPolicy, adFailures: number): Promise<number | null> {
  const windowMinutes = Math.max(env.SIGNIN_WINDOW_MINUTES, Math.ceil(policy.lockoutObservationMinutes));
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`signin:${accountKey}`}))`);
    const window = sql`now() - make_interval(mins => ${windowMinutes})`;
    const [lastSuccess] = await tx
      .select({ at: sql<string | null>`max(${signinAttempts.at})` })
      .from(signinAttempts)
      .where(and(eq(signinAttempts.accountKey, accountKey), eq(signinAttempts.success, true), gt(signinAttempts.at, window)));
    const since = lastSuccess?.at ? sql`${lastSuccess.at}::timestamptz` : window;
    const [byAccount] = await tx
      .select({ n: count() })
      .from(signinAttempts)
      .where(and(eq(signinAttempts.accountKey, accountKey), eq(signinAttempts.success, false), gt(signinAttempts.at, since)));
    const [byIp] = await tx
      .select({ n: count() })
      .from(signinAttempts)
      .where(and(eq(signinAttempts.ip, ip), eq(signinAttempts.success, false), gt(signinAttempts.at, window)));
    // Whichever is higher: what we sent, or what AD counted from every source (workstations too).
    const decision = decideThrottle(Math.max(byAccount?.n ?? 0, adFailures), byIp?.n ?? 0, {
      maxFailuresPerUser: env.SIGNIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: env.SIGNIN_MAX_FAILURES_PER_IP,
      lockoutThreshold: policy.lockoutThreshold,
    });
    if (!decision.allowed) return null;
    const [row] = await tx.insert(signinAttempts).values({ accountKey, username, ip, success: false }).returning({ id: signinAttempts.id });
    return row!.id;
  });
}

/**
 * Verifies a username and password against AD and returns the session user. The account is
 * looked up first (service account, no password involved), so every spelling of one account
 * shares one failure count; once it or the IP has too many recent failures, the password is
 * never sent to AD.
 */
export async function signIn(raw: unknown, ctx: Context): Promise<SessionUser> {
  const parsed = signinInput.safeParse(raw);
  if (!parsed.success) throw new SigninError(parsed.error.issues[0]?.message ?? INVALID, "invalid");
  const username = parsed.data.username.toLowerCase();

  let person: DirectoryUser | null;
  let policy: DomainPolicy;
  try {
    [person, policy] = await Promise.all([findUser(username), domainPolicy()]);
  } catch (err) {
    if (err instanceof DirectoryError) throw new SigninError(DIRECTORY_DOWN, "directory");
    throw err;
  }
  const accountKey = person ? `guid:${person.objectGuid}` : `name:${normalizeLogin(username).sam.toLowerCase()}`;
  const adFailures = person ? directoryFailures(person.badPwdCount, person.badPasswordTime, policy.lockoutObservationMinutes) : 0;
  const attemptId = await reserveAttempt(accountKey, username, ctx.ip, policy, adFailures);
  if (attemptId === null) {
    await auditFailure(username, "throttled", ctx);
    throw new SigninError(`Too many failed sign-ins. Try again in ${env.SIGNIN_WINDOW_MINUTES} minutes.`, "throttled");
  }
  if (!person || person.disabled) {
    await auditFailure(username, person ? "disabled" : "unknown-user", ctx);
    throw new SigninError(INVALID, "invalid");
  }

  let isAdmin: boolean;
  try {
    if (!(await verifyPassword(person.dn, parsed.data.password))) {
      await auditFailure(username, "bad-password", ctx);
      throw new SigninError(INVALID, "invalid");
    }
    isAdmin = await isNestedMember(person.dn, env.INTERIM_ADMIN_GROUP_DN);
  } catch (err) {
    if (err instanceof DirectoryError) throw new SigninError(DIRECTORY_DOWN, "directory");
    throw err;
  }

  return db.transaction(async (tx) => {
    const user = await upsertDirectoryUser(tx, person, isAdmin, true);
    await tx.update(signinAttempts).set({ success: true }).where(eq(signinAttempts.id, attemptId));
    await recordAudit(tx, { type: "user", id: user.id, name: person.username, ip: ctx.ip, userAgent: ctx.userAgent }, [
      { action: "auth.signin_succeeded", targetType: "user", targetId: user.id, data: { username: person.username, isAdmin } },
    ]);
    return user;
  });
}

/** How long a known admin answer may be used when AD cannot be asked. */
const ADMIN_GRACE_MS = 60 * 60_000;
const ADMIN_RECHECK_MS = 5 * 60_000;

/**
 * Whether a signed-in user is (still) an Interim admin. Re-reads the nested membership from AD
 * every few minutes (the answer is kept on the user row, not in the JWT, which tRPC cannot
 * rewrite). When AD cannot be asked, the last answer holds for an hour, then admin is denied.
 */
export async function currentAdminStatus(userId: string): Promise<boolean> {
  const [row] = await db.select().from(users).where(eq(users.id, userId));
  if (!row) return false;
  const age = row.adminCheckedAt ? Date.now() - row.adminCheckedAt.getTime() : Infinity;
  if (age < ADMIN_RECHECK_MS) return row.isAdmin;
  let isAdmin: boolean;
  try {
    isAdmin = await isNestedMember(row.dn, env.INTERIM_ADMIN_GROUP_DN);
  } catch (err) {
    if (err instanceof DirectoryError) return row.isAdmin && age < ADMIN_GRACE_MS;
    throw err;
  }
  await db.transaction(async (tx) => {
    await tx.update(users).set({ isAdmin, adminCheckedAt: new Date() }).where(eq(users.id, userId));
    if (isAdmin !== row.isAdmin) {
      await recordAudit(tx, { type: "system", id: null, name: "interim-web" }, [
        { action: "user.admin_changed", targetType: "user", targetId: userId, data: { username: row.username, isAdmin, reason: "directory re-check" } },
      ]);
    }
  });
  return isAdmin;
}
