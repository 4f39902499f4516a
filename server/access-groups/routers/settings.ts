import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { groupIdInput, settingsInput } from "../schemas";
import * as service from "../service";

export const settingsRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return {
      id: g.id,
      version: g.version,
      name: g.name,
      description: g.description,
      enabled: g.enabled,
      timeZone: g.timeZone,
      settings: service.toPolicy(g).settings,
    };
  }),
  update: adminProcedure.input(settingsInput).mutation(({ ctx, input }) => service.updateSettings(ctx.user, ctx.actor, input)),
  /** IANA zones for the time-zone picker. */
  timeZones: adminProcedure.query(() => Intl.supportedValuesOf("timeZone")),
});
