import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/*
 * The token secret: `itm_<token id, 32 hex>_<43 base64url characters = 256 random bits>`. The id
 * lets the server find the row in one indexed read; only the SHA-256 of the whole secret is
 * stored, compared in constant time. Pure functions: unit-tested in tests/unit/api-token-secret.test.ts.
 */

const PREFIX = "itm_";
const SECRET_SHAPE = /^itm_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface TokenSecret {
  /** What the person copies, shown once. */
  secret: string;
  hash: string;
}

export function newTokenSecret(tokenId: string): TokenSecret {
  const secret = `${PREFIX}${tokenId.replaceAll("-", "").toLowerCase()}_${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashTokenSecret(secret) };
}

export function hashTokenSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The token id a well-formed secret names (uuid form), or null for anything else. */
export function tokenIdOf(secret: string): string | null {
  const m = SECRET_SHAPE.exec(secret);
  if (!m) return null;
  const h = m[1]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The secret an Authorization header carries: `Bearer <secret>` (scheme case-insensitive), else null. */
export function bearerOf(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m ? m[1]! : null;
}

/** Whether `secret` hashes to `storedHash`, in time independent of where they differ. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashTokenSecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
