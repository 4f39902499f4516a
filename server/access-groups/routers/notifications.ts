import "server-only";
import { env } from "@/server/env";
import { notificationsSaveInput } from "@/server/notifications/webhook-targets";
import { rotateSecretInput, rotateWebhookSecret, webhookSecretsIssued } from "@/server/notifications/webhook-secrets";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { listDeliveries } from "../deliveries";
import { groupIdInput } from "../schemas";
import * as service from "../service";

export const notificationsRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return {
      id: g.id,
      version: g.version,
      notifications: service.notificationSettingsOf(g),
      // What the deployment can send: without SMTP_URL no mail leaves.
      emailConfigured: Boolean(env.SMTP_URL),
      /** When each webhook's signing secret was issued; the secret itself is shown only when issued. */
      secretsIssued: await webhookSecretsIssued(ctx.user, g.id),
    };
  }),
  /** Saves the tab; `issuedSecrets` holds the secrets of webhooks saved for the first time, shown once. */
  update: adminProcedure.input(notificationsSaveInput).mutation(({ ctx, input }) => service.updateNotifications(ctx.user, ctx.actor, input)),
  /** A new signing secret for one saved webhook (audited), shown once. */
  rotateSecret: adminProcedure.input(rotateSecretInput).mutation(({ ctx, input }) => rotateWebhookSecret(ctx.user, ctx.actor, input)),
  /** The group's last deliveries, newest first: what was sent to whom, and what keeps failing. */
  deliveries: adminProcedure.input(groupIdInput).query(({ ctx, input }) => listDeliveries(ctx.user, input.id)),
});
