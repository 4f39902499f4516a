import "server-only";
import { createHmac, randomBytes } from "node:crypto";
import { and, count, desc, eq, gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { signinAttempts, users } from "@/db/schema";
import { recordAudit } from "@/server/audit/service";
import { DirectoryError } from "@/server/directory/errors";
import { readDomainPolicy, type DomainPolicy } from "@/server/directory/domain";
import { findUser, isNestedMember, normalizeLogin, verifyPassword, type DirectoryUser } from "@/server/directory/service";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";
import { metrics } from "@/server/ops/metrics";
import { upsertDirectoryUser } from "@/server/users/service";
import type { SessionUser } from "./permissions";
import { signinInput } from "./schemas";
import { chainedFailures, decideThrottle, directoryFailures, ipBucket } from "./throttle";

/** A refusal the sign-in page can show as is. Deliberately vague about which part was wrong. */
export class SigninError extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "throttled" | "directory" | "policy",
  ) {
    super(message);
    this.name = "SigninError";
  }
}

const INVALID = "Wrong username or password.";
const DIRECTORY_DOWN = "The directory cannot be reached right now. Try again in a moment.";
const POLICY_OFF = "Sign-in is unavailable because of the directory's account lockout policy. Contact an administrator.";
const log = () => scoped("signin");

/**
 * Where a sign-in for an unknown or disabled account binds: a DN that names nobody, so AD refuses
 * it like a wrong password (no account's bad-password count moves) and the attempt does the same
 * work — lookup, reservation, one bind, audit — as one for a real account.
 */
const nobodyDn = () => `CN=interim-signin-nobody-${NOBODY_SUFFIX},${env.LDAP_USER_BASE_DN ?? env.LDAP_BASE_DN}`;
const NOBODY_SUFFIX = randomBytes(6).toString("hex");

let usernameKey: Buffer | undefined;

/**
 * What the trail keeps of a typed username that names no account: a keyed hash (HMAC-SHA256, key
 * derived from NEXTAUTH_SECRET), never the text itself — people type passwords into the username
 * field. The same name in any spelling gives the same hash, so repeated tries can still be seen.
 */
export function maskUsername(typed: string): string {
  if (!usernameKey) {
    const secret = process.env.NEXTAUTH_SECRET;
    if (!secret) log().warn("NEXTAUTH_SECRET is unset: failed sign-in names are hashed with a per-process key");
    usernameKey = createHmac("sha256", secret || randomBytes(32))
      .update("interim:signin-username:v1")
      .digest();
  }
  return `hmac:${createHmac("sha256", usernameKey).update(normalizeLogin(typed).sam.toLowerCase()).digest("hex").slice(0, 32)}`;
}

let policyCache: { at: number; policy: DomainPolicy } | undefined;

/** The domain's lockout policy, read from AD (cached for five minutes). */
/** Tests: forget the cached lockout policy (after changing it in the directory). */
export function resetDomainPolicyCache() {
  policyCache = undefined;
}

async function domainPolicy(): Promise<DomainPolicy> {
  if (!policyCache || Date.now() - policyCache.at > 5 * 60_000) policyCache = { at: Date.now(), policy: await readDomainPolicy() };
  return policyCache.policy;
}

interface Context {
  ip: string;
  userAgent: string | null;
  /** Tests: each step this sign-in took, in order ("lookup", "reserve", "bind", "audit", …). */
  trace?: string[];
}

/** `username`: the account's own name when it exists, else maskUsername's hash. */
async function auditFailure(username: string, reason: string, ctx: Context) {
  ctx.trace?.push("audit");
  metrics().signinFailures.inc({ reason });
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
 * Returns the attempt id, or why the attempt is refused. `ip` is the client's bucket (ipBucket).
 */
async function reserveAttempt(
  accountKey: string,
  username: string,
  ip: string,
  policy: DomainPolicy,
  adFailures: number,
): Promise<{ id: number } | { refused: "user" | "ip" | "policy" }> {
  const windowMinutes = Math.max(env.SIGNIN_WINDOW_MINUTES, Math.ceil(policy.lockoutObservationMinutes));
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`signin:${accountKey}`}))`);
    const window = sql`now() - make_interval(mins => ${windowMinutes})`;
    const dayAgo = sql`now() - interval '1 day'`;
    const [lastSuccess] = await tx
      .select({ at: sql<string | null>`max(${signinAttempts.at})` })
      .from(signinAttempts)
      .where(and(eq(signinAttempts.accountKey, accountKey), eq(signinAttempts.success, true), gt(signinAttempts.at, dayAgo)));
    const since = lastSuccess?.at ? sql`${lastSuccess.at}::timestamptz` : dayAgo;
    // AD keeps counting while bad passwords come less than its observation window apart: so do we.
    const failures = await tx
      .select({ at: signinAttempts.at })
      .from(signinAttempts)
      .where(and(eq(signinAttempts.accountKey, accountKey), eq(signinAttempts.success, false), gt(signinAttempts.at, since)))
      .orderBy(desc(signinAttempts.at))
      .limit(100);
    const byAccount = chainedFailures(
      failures.map((f) => f.at),
      windowMinutes,
    );
    const [byIp] = await tx
      .select({ n: count() })
      .from(signinAttempts)
      .where(and(eq(signinAttempts.ip, ip), eq(signinAttempts.success, false), gt(signinAttempts.at, window)));
    // Whichever is higher: what we sent, or what AD counted from every source (workstations too).
    const decision = decideThrottle(Math.max(byAccount, adFailures), byIp?.n ?? 0, {
      maxFailuresPerUser: env.SIGNIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: env.SIGNIN_MAX_FAILURES_PER_IP,
      lockoutThreshold: policy.lockoutThreshold,
    });
    if (!decision.allowed) return { refused: decision.scope };
    const [row] = await tx.insert(signinAttempts).values({ accountKey, username, ip, success: false }).returning({ id: signinAttempts.id });
    return { id: row!.id };
  });
}

/**
 * Verifies a username and password against AD and returns the session user. The account is
 * looked up first (service account, no password involved), so every spelling of one account
 * shares one failure count; once it or the IP has too many recent failures, the password is
 * never sent to AD. Unknown and disabled accounts take the same steps, with a bind that names
 * nobody; the trail and the throttle table keep their typed name only as a keyed hash.
 */
export async function signIn(raw: unknown, ctx: Context): Promise<SessionUser> {
  const parsed = signinInput.safeParse(raw);
  if (!parsed.success) throw new SigninError(parsed.error.issues[0]?.message ?? INVALID, "invalid");
  const username = parsed.data.username.toLowerCase();

  let person: DirectoryUser | null;
  let policy: DomainPolicy;
  try {
    ctx.trace?.push("lookup");
    [person, policy] = await Promise.all([findUser(username), domainPolicy()]);
  } catch (err) {
    if (err instanceof DirectoryError) throw new SigninError(DIRECTORY_DOWN, "directory");
    throw err;
  }
  // A typed name that names no account may be anything (a password typed in the wrong field): hashed.
  const named = person ? person.username : maskUsername(username);
  const accountKey = person ? `guid:${person.objectGuid}` : `name:${named}`;
  const adFailures = person ? directoryFailures(person.badPwdCount, person.badPasswordTime, policy.lockoutObservationMinutes) : 0;
  ctx.trace?.push("reserve");
  const attempt = await reserveAttempt(accountKey, named, ipBucket(ctx.ip), policy, adFailures);
  if ("refused" in attempt) {
    if (attempt.refused === "policy") {
      log().error(
        { lockoutThreshold: policy.lockoutThreshold },
        "sign-in refused without a bind: the domain's lockoutThreshold leaves no attempt that cannot lock the account; raise it to 2 or more (or 0)",
      );
      metrics().signinThrottles.inc({ scope: "policy" });
      await auditFailure(named, "lockout-policy", ctx);
      throw new SigninError(POLICY_OFF, "policy");
    }
    metrics().signinThrottles.inc({ scope: attempt.refused });
    await auditFailure(named, "throttled", ctx);
    throw new SigninError(`Too many failed sign-ins. Try again in ${env.SIGNIN_WINDOW_MINUTES} minutes.`, "throttled");
  }
  const usable = person !== null && !person.disabled;

  let isAdmin: boolean;
  try {
    ctx.trace?.push("bind");
    const passwordOk = await verifyPassword(usable ? person!.dn : nobodyDn(), parsed.data.password);
    if (!usable || !passwordOk) {
      await auditFailure(named, !person ? "unknown-user" : person.disabled ? "disabled" : "bad-password", ctx);
      throw new SigninError(INVALID, "invalid");
    }
    isAdmin = await isNestedMember(person!.dn, env.INTERIM_ADMIN_GROUP_DN);
  } catch (err) {
    if (err instanceof DirectoryError) throw new SigninError(DIRECTORY_DOWN, "directory");
    throw err;
  }

  const account = person!;
  return db.transaction(async (tx) => {
    const user = await upsertDirectoryUser(tx, account, isAdmin, true);
    await tx.update(signinAttempts).set({ success: true }).where(eq(signinAttempts.id, attempt.id));
    await recordAudit(tx, { type: "user", id: user.id, name: account.username, ip: ctx.ip, userAgent: ctx.userAgent }, [
      { action: "auth.signin_succeeded", targetType: "user", targetId: user.id, data: { username: account.username, isAdmin } },
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
