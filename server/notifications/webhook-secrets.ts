import "server-only";
import { and, eq, notInArray, sql } from "drizzle-orm";
import { z } from "zod";
import { db, type Executor } from "@/db";
import { accessGroups, webhookSecrets } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { notFound, unavailable } from "@/server/errors";
import { notificationSettingsSchema, type Webhook } from "./schemas";
import { generateWebhookSecret, seal, sealingKey, unseal } from "./signing";
import { WebhookFailure } from "./transport";

/*
 * One signing secret per webhook: issued when the webhook is first saved, rotated on demand, shown
 * once each time and never read back by the tab. Sealed with a key the database does not hold.
 */

export interface IssuedSecret {
  webhookId: string;
  name: string;
  secret: string;
}

function key(): Buffer {
  const material = env.INTERIM_WEBHOOK_KEY ?? env.NEXTAUTH_SECRET;
  if (!material) throw unavailable("Webhook secrets need INTERIM_WEBHOOK_KEY or NEXTAUTH_SECRET to be set.");
  return sealingKey(material);
}

const context = (groupId: string, webhookId: string) => `${groupId}:${webhookId}`;

async function issue(tx: Executor, actor: AuditActor, groupId: string, webhook: Pick<Webhook, "id" | "name">, reason: "created" | "rotated") {
  const secret = generateWebhookSecret();
  const sealed = seal(key(), secret, context(groupId, webhook.id));
  await tx
    .insert(webhookSecrets)
    .values({ accessGroupId: groupId, webhookId: webhook.id, sealed })
    .onConflictDoUpdate({ target: [webhookSecrets.accessGroupId, webhookSecrets.webhookId], set: { sealed, issuedAt: sql`now()` } });
  await recordAudit(tx, actor, [
    {
      action: "access_group.webhook_secret_issued",
      targetType: "access_group",
      targetId: groupId,
      data: { webhookId: webhook.id, name: webhook.name, reason },
    },
  ]);
  return { webhookId: webhook.id, name: webhook.name, secret };
}

/**
 * In the transaction that saves a group's notifications: a secret for each webhook that has none,
 * none left for webhooks that are gone. Returns the new secrets, to be shown once.
 */
export async function syncWebhookSecrets(tx: Executor, actor: AuditActor, groupId: string, webhooks: readonly Webhook[]): Promise<IssuedSecret[]> {
  const ids = webhooks.map((w) => w.id);
  await tx.delete(webhookSecrets).where(and(eq(webhookSecrets.accessGroupId, groupId), ids.length > 0 ? notInArray(webhookSecrets.webhookId, ids) : undefined));
  const existing = new Set(
    (await tx.select({ id: webhookSecrets.webhookId }).from(webhookSecrets).where(eq(webhookSecrets.accessGroupId, groupId))).map((r) => r.id),
  );
  const issued: IssuedSecret[] = [];
  for (const w of webhooks) if (!existing.has(w.id)) issued.push(await issue(tx, actor, groupId, w, "created"));
  return issued;
}

export const rotateSecretInput = z.object({ id: z.uuid(), webhookId: z.uuid() });

/** A new secret for one saved webhook; the old one stops signing at once. */
export async function rotateWebhookSecret(user: SessionUser, actor: AuditActor, raw: z.input<typeof rotateSecretInput>): Promise<IssuedSecret> {
  assertCan(user, "manage", "AccessGroup");
  const input = rotateSecretInput.parse(raw);
  return db.transaction(async (tx) => {
    const [group] = await tx.select({ notifications: accessGroups.notifications }).from(accessGroups).where(eq(accessGroups.id, input.id)).for("update");
    if (!group) throw notFound("This access group no longer exists.");
    const webhook = notificationSettingsSchema.parse(group.notifications ?? {}).webhooks.find((w) => w.id === input.webhookId);
    if (!webhook) throw notFound("This webhook is not saved on this access group; save the notifications first.");
    return issue(tx, actor, input.id, webhook, "rotated");
  });
}

/** When each of a group's webhooks got its current secret (never the secret). */
export async function webhookSecretsIssued(user: SessionUser, groupId: string): Promise<Record<string, Date>> {
  assertCan(user, "read", "AccessGroup");
  const rows = await db
    .select({ webhookId: webhookSecrets.webhookId, issuedAt: webhookSecrets.issuedAt })
    .from(webhookSecrets)
    .where(eq(webhookSecrets.accessGroupId, groupId));
  return Object.fromEntries(rows.map((r) => [r.webhookId, r.issuedAt]));
}

/**
 * The secret a delivery is signed with: null when the webhook has none (saved before secrets
 * existed); throws when it cannot be unsealed (the key changed), so nothing goes out unsigned.
 */
export async function signingSecretFor(groupId: string | null, webhookId: string | undefined): Promise<string | null> {
  if (!groupId || !webhookId) return null;
  const [row] = await db
    .select({ sealed: webhookSecrets.sealed })
    .from(webhookSecrets)
    .where(and(eq(webhookSecrets.accessGroupId, groupId), eq(webhookSecrets.webhookId, webhookId)));
  if (!row) return null;
  const secret = unseal(key(), row.sealed, context(groupId, webhookId));
  if (secret === null) throw new WebhookFailure("signing secret unreadable (the key changed): rotate it");
  return secret;
}
