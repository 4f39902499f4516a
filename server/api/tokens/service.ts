import "server-only";
import { randomUUID } from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { db } from "@/db";
import { apiTokens, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { conflict, invalid, notFound } from "@/server/errors";
import { createApiTokenInput, type CreateApiTokenInput } from "./schemas";
import { newTokenSecret } from "./secret";

/** Admin: creates a token acting for `admin` within its scopes. The secret is in this answer only. */
export async function createApiToken(admin: SessionUser, actor: AuditActor, raw: unknown) {
  assertCan(admin, "manage", "ApiToken");
  const input: CreateApiTokenInput = createApiTokenInput.parse(raw);
  if (input.expiresInDays > env.INTERIM_API_TOKEN_MAX_DAYS) {
    throw invalid(`A token lives at most ${env.INTERIM_API_TOKEN_MAX_DAYS} days.`, "expiresInDays");
  }
  const id = randomUUID();
  const { secret, hash } = newTokenSecret(id);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + input.expiresInDays * 86_400_000);
  try {
    await db.transaction(async (tx) => {
      await tx.insert(apiTokens).values({ id, name: input.name, scopes: input.scopes, secretHash: hash, createdBy: admin.id, createdAt: now, expiresAt });
      await recordAudit(tx, actor, [
        {
          action: "api_token.created",
          targetType: "api_token",
          targetId: id,
          data: { name: input.name, scopes: input.scopes, expiresAt: expiresAt.toISOString() },
        },
      ]);
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause ?? (err as { code?: string });
    if (cause?.code === "23505") throw conflict("A token with this name exists already.");
    throw err;
  }
  return { id, name: input.name, scopes: input.scopes, expiresAt, secret };
}

/** Admin: every token, newest first, without any secret material. */
export async function listApiTokens(admin: SessionUser) {
  assertCan(admin, "read", "ApiToken");
  const creator = alias(users, "creator");
  const rows = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      scopes: apiTokens.scopes,
      createdBy: creator.username,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
      lastUsedIp: apiTokens.lastUsedIp,
    })
    .from(apiTokens)
    .innerJoin(creator, eq(creator.id, apiTokens.createdBy))
    .orderBy(desc(apiTokens.createdAt))
    .limit(500);
  const now = Date.now();
  return rows.map((r) => ({ ...r, status: r.revokedAt ? ("revoked" as const) : r.expiresAt.getTime() <= now ? ("expired" as const) : ("active" as const) }));
}

/** Admin: revokes a token; its next call is refused (401). Revoking twice is refused, not repeated. */
export async function revokeApiToken(admin: SessionUser, actor: AuditActor, tokenId: string) {
  assertCan(admin, "manage", "ApiToken");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date(), revokedBy: admin.id || null })
      .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id, name: apiTokens.name, revokedAt: apiTokens.revokedAt });
    if (!row) {
      const [exists] = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.id, tokenId));
      throw exists ? conflict("This token is already revoked.") : notFound("No such token.");
    }
    await recordAudit(tx, actor, [{ action: "api_token.revoked", targetType: "api_token", targetId: row.id, data: { name: row.name } }]);
    return { id: row.id, revokedAt: row.revokedAt! };
  });
}
