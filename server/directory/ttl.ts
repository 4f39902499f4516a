/*
 * TTL memberships. Where the forest's Privileged Access Management optional feature is on, a
 * `member` value may carry a time to live: `<TTL=seconds,<GUID=…>>`. AD then removes the
 * membership itself when the TTL runs out, and the KDC issues no ticket that outlives it. Samba
 * has no such feature and rejects the value (34, invalid DN syntax), so a grant only ever uses it
 * when the feature is known to be on. Pure: no I/O here.
 */

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** AD keeps the TTL in a 32-bit signed integer of seconds. */
export const MAX_TTL_SECONDS = 2_147_483_647;

export type GrantMechanism = "direct" | "ttl" | "temporary-group";

/** Why TTL membership cannot be chosen: shown beside the option and in the server's refusal. */
export const PAM_OFF_EXPLANATION = "The forest's Privileged Access Management feature is off (Samba has none): Interim removes memberships itself.";

/** `<TTL=seconds,<GUID=guid>>`. Whole seconds only: the caller rounds up (access never ends early by rounding). */
export function ttlMemberValue(memberGuid: string, seconds: number): string {
  if (!GUID_RE.test(memberGuid)) throw new RangeError(`Not a GUID in canonical form: ${memberGuid}`);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new RangeError(`A TTL is a whole number of seconds from 1 to ${MAX_TTL_SECONDS}, not ${seconds}`);
  }
  return `<TTL=${seconds},<GUID=${memberGuid.toLowerCase()}>>`;
}

/** The inverse of ttlMemberValue; null for anything else (a plain DN or `<GUID=…>`). */
export function parseTtlMemberValue(value: string): { guid: string; seconds: number } | null {
  const m = /^<TTL=(\d{1,10}),<GUID=([0-9a-f-]{36})>>$/i.exec(value.trim());
  if (!m || !GUID_RE.test(m[2]!)) return null;
  const seconds = Number(m[1]);
  if (seconds < 1 || seconds > MAX_TTL_SECONDS) return null;
  return { guid: m[2]!.toLowerCase(), seconds };
}

export interface TtlGrant {
  mechanism: GrantMechanism;
  memberGuid: string;
  durationSeconds: number;
  /** The access group's window end: the membership never outlives it. */
  notAfter: Date | null;
}

/**
 * Seconds from `now` to the grant's end (its duration, clipped to its window), rounded up; at
 * least 1 (a window that closed meanwhile ends the grant at once anyway, through the sweep).
 */
export function ttlSecondsFor(grant: Pick<TtlGrant, "durationSeconds" | "notAfter">, now: Date): number {
  const byDuration = now.getTime() + grant.durationSeconds * 1000;
  const end = grant.notAfter ? Math.min(byDuration, grant.notAfter.getTime()) : byDuration;
  return Math.min(MAX_TTL_SECONDS, Math.max(1, Math.ceil((end - now.getTime()) / 1000)));
}

export interface MembershipPlan {
  /** What the directory is actually asked for, which the grant row then records. */
  mechanism: "direct" | "ttl";
  ttlSeconds: number | null;
  /** The `member` value the add sends. */
  value: string;
}

/**
 * How a grant's membership is added. A TTL only where the PAM feature is on: a grant asking for
 * one while it is off (the feature was reported off after the privilege was set, or the row was
 * edited by hand) is added as a direct membership, which the expiry sweep removes like any other,
 * rather than sending a value the DC rejects and failing the grant. (`temporary-group` grants do
 * not come here: server/directory/temporary-groups.ts writes them.)
 */
export function membershipFor(grant: TtlGrant, opts: { now: Date; pamFeatureEnabled: boolean }): MembershipPlan {
  if (grant.mechanism === "ttl" && opts.pamFeatureEnabled) {
    const ttlSeconds = ttlSecondsFor(grant, opts.now);
    return { mechanism: "ttl", ttlSeconds, value: ttlMemberValue(grant.memberGuid, ttlSeconds) };
  }
  if (!GUID_RE.test(grant.memberGuid)) throw new RangeError(`Not a GUID in canonical form: ${grant.memberGuid}`);
  return { mechanism: "direct", ttlSeconds: null, value: `<GUID=${grant.memberGuid.toLowerCase()}>` };
}
