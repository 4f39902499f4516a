import "server-only";
import { eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { apiTokens, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import type { SessionUser } from "@/server/auth/permissions";
import { confirmAccount } from "@/server/auth/sessions";
import { currentAdminStatus } from "@/server/auth/signin";
import { isDomainError, unauthenticated } from "@/server/errors";
import type { ApiScope } from "@/shared/api-scopes";
import { bearerOf, secretMatches, tokenIdOf } from "./secret";

/** A token that passed every check of this call: who it acts for, within which scopes, as whom it is audited. */
export interface TokenPrincipal {
  tokenId: string;
  tokenName: string;
  scopes: readonly ApiScope[];
  /** The creator, confirmed usable in AD and still an Interim admin just now. */
  user: SessionUser;
  actor: AuditActor;
}

const INVALID = "This API token is not valid.";

/**
 * The token an `Authorization: Bearer` header names, checked at every call: well-formed, known,
 * the secret's hash matches (constant time), not revoked, not expired, and its creator still an
 * AD account Interim may use and still an Interim admin (tokens are an admin's tool: a demoted or
 * departed admin's tokens stop with them). Anything else is UNAUTHORIZED with the reason; an
 * unknown id and a wrong secret read the same.
 */
export async function authenticateBearer(authorization: string | null, ip: string, userAgent: string | null): Promise<TokenPrincipal> {
  const secret = bearerOf(authorization);
  if (!secret) throw unauthenticated("Send an API token: Authorization: Bearer <token>.");
  const tokenId = tokenIdOf(secret);
  if (!tokenId) throw unauthenticated(INVALID);
  const [row] = await db
    .select({ token: apiTokens, creator: { id: users.id, username: users.username, dn: users.dn, displayName: users.displayName } })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.createdBy))
    .where(eq(apiTokens.id, tokenId));
  if (!row || !secretMatches(secret, row.token.secretHash)) throw unauthenticated(INVALID);
  if (row.token.revokedAt) throw unauthenticated("This API token was revoked.");
  if (row.token.expiresAt.getTime() <= Date.now()) throw unauthenticated("This API token has expired.");
  const creator = row.creator;
  try {
    await confirmAccount(creator.id);
  } catch (err) {
    if (isDomainError(err) && err.kind === "unauthenticated") {
      throw unauthenticated(`This API token's creator (${creator.username}) may no longer use Interim: ${err.message}`);
    }
    throw err;
  }
  if (!(await currentAdminStatus(creator.id))) throw unauthenticated(`This API token's creator (${creator.username}) is no longer an Interim admin.`);
  return {
    tokenId,
    tokenName: row.token.name,
    scopes: row.token.scopes as ApiScope[],
    user: { ...creator, isAdmin: true },
    actor: { type: "token", id: tokenId, name: `${row.token.name} (token of ${creator.username})`, ip, userAgent },
  };
}

export interface ApiCall {
  method: string;
  path: string;
  procedure: string;
  /** "ok" or the error code the caller got (FORBIDDEN for a missing scope, BAD_REQUEST, …). */
  outcome: string;
}

/** After each call of an authenticated token: last used at/from, and the call in the trail, in one transaction. */
export async function recordApiCall(principal: TokenPrincipal, call: ApiCall): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()`, lastUsedIp: principal.actor.ip ?? null })
      .where(eq(apiTokens.id, principal.tokenId));
    await recordAudit(tx, principal.actor, [
      { action: "api.call", targetType: "api_token", targetId: principal.tokenId, data: { token: principal.tokenName, ...call } },
    ]);
  });
}
