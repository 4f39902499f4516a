import "server-only";
import { env } from "@/server/env";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { listDeliveries } from "../deliveries";
import { groupIdInput, notificationsInput } from "../schemas";
import * as service from "../service";

export const notificationsRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return {
      id: g.id,
      version: g.version,
      notifications: service.notificationSettingsOf(g),
      // What the deployment can send: without SMTP_URL no mail leaves; unsigned generic webhooks are allowed.
      emailConfigured: Boolean(env.SMTP_URL),
      webhooksSigned: Boolean(env.WEBHOOK_SIGNING_SECRET),
    };
  }),
  update: adminProcedure.input(notificationsInput).mutation(({ ctx, input }) => service.updateNotifications(ctx.user, ctx.actor, input)),
  /** The group's last deliveries, newest first: what was sent to whom, and what keeps failing. */
  deliveries: adminProcedure.input(groupIdInput).query(({ ctx, input }) => listDeliveries(ctx.user, input.id)),
});
