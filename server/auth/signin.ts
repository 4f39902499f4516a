import { and, count, eq, gt, sql } from "drizzle-orm";
import { db } from "@/db";
import { directorySettings, signinAttempts, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { DirectoryError } from "@/server/directory/errors";
import { findUser, isNestedMember, verifyPassword } from "@/server/directory/service";
import { env } from "@/server/env";
import { upsertDirectoryUser } from "@/server/users/service";
import type { SessionUser } from "./permissions";
import { signinInput } from "./schemas";
import { decideThrottle } from "./throttle";

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

async function recentFailures(username: string, ip: string) {
  const window = sql`now() - make_interval(mins => ${env.SIGNIN_WINDOW_MINUTES})`;
  // Like AD's badPwdCount, a success resets the user's count.
  const [lastSuccess] = await db
    .select({ at: sql<Date | null>`max(${signinAttempts.at})` })
    .from(signinAttempts)
    .where(and(eq(signinAttempts.username, username), eq(signinAttempts.success, true), gt(signinAttempts.at, window)));
  const since = lastSuccess?.at ? sql`${new Date(lastSuccess.at).toISOString()}::timestamptz` : window;
  const [byUser] = await db
    .select({ n: count() })
    .from(signinAttempts)
    .where(and(eq(signinAttempts.username, username), eq(signinAttempts.success, false), gt(signinAttempts.at, since)));
  const [byIp] = await db
    .select({ n: count() })
    .from(signinAttempts)
    .where(and(eq(signinAttempts.ip, ip), eq(signinAttempts.success, false), gt(signinAttempts.at, window)));
  return { user: byUser?.n ?? 0, ip: byIp?.n ?? 0 };
}

async function lockoutThreshold(): Promise<number> {
  const [row] = await db.select({ t: directorySettings.lockoutThreshold }).from(directorySettings).where(eq(directorySettings.id, 1));
  return row?.t ?? 0;
}

async function fail(username: string, ip: string, userAgent: string | null, reason: string, message: string, kind: SigninError["reason"]): Promise<never> {
  await db.transaction(async (tx) => {
    if (kind !== "throttled") await tx.insert(signinAttempts).values({ username, ip, success: false });
    await recordAudit(tx, { type: "user", id: null, name: username, ip, userAgent }, [
      { action: "auth.signin_failed", targetType: "user", targetId: null, data: { username, reason } },
    ]);
  });
  throw new SigninError(message, kind);
}

/**
 * Verifies a username and password against AD and returns the session user. Refuses without
 * touching AD once the user or the IP has too many recent failures.
 */
export async function signIn(raw: unknown, context: { ip: string; userAgent: string | null }): Promise<SessionUser> {
  const parsed = signinInput.safeParse(raw);
  if (!parsed.success) throw new SigninError(parsed.error.issues[0]?.message ?? INVALID, "invalid");
  const username = parsed.data.username.toLowerCase();
  const { ip, userAgent } = context;

  const failures = await recentFailures(username, ip);
  const decision = decideThrottle(failures.user, failures.ip, {
    maxFailuresPerUser: env.SIGNIN_MAX_FAILURES_PER_USER,
    maxFailuresPerIp: env.SIGNIN_MAX_FAILURES_PER_IP,
    lockoutThreshold: await lockoutThreshold(),
  });
  if (!decision.allowed) {
    await fail(username, ip, userAgent, `throttled-${decision.scope}`, `Too many failed sign-ins. Try again in ${env.SIGNIN_WINDOW_MINUTES} minutes.`, "throttled");
  }

  let person;
  try {
    person = await findUser(username);
    if (!person || person.disabled) return await fail(username, ip, userAgent, person ? "disabled" : "unknown-user", INVALID, "invalid");
    if (!(await verifyPassword(person.dn, parsed.data.password))) return await fail(username, ip, userAgent, "bad-password", INVALID, "invalid");
  } catch (err) {
    if (err instanceof DirectoryError) {
      throw new SigninError("The directory cannot be reached right now. Try again in a moment.", "directory");
    }
    throw err;
  }

  const isAdmin = await isNestedMember(person.dn, env.INTERIM_ADMIN_GROUP_DN);
  const actorBase: Omit<AuditActor, "id"> = { type: "user", name: person.username, ip, userAgent };
  return db.transaction(async (tx) => {
    const user = await upsertDirectoryUser(tx, person, isAdmin, true);
    await tx.insert(signinAttempts).values({ username, ip, success: true });
    await recordAudit(tx, { ...actorBase, id: user.id }, [
      { action: "auth.signin_succeeded", targetType: "user", targetId: user.id, data: { username: person.username, isAdmin } },
    ]);
    return user;
  });
}

/** Re-reads admin membership for a session that is still open (admin rights can be taken away). */
export async function refreshAdmin(userId: string, dn: string): Promise<boolean> {
  const isAdmin = await isNestedMember(dn, env.INTERIM_ADMIN_GROUP_DN);
  await db.update(users).set({ isAdmin }).where(eq(users.id, userId));
  return isAdmin;
}
