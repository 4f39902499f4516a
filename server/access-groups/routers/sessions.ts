import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { groupIdInput, sessionsInput } from "../schemas";
import * as service from "../service";

/** The Sessions tab: remote sessions on the devices the group's criteria select (issue 14). */
export const sessionsRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return { id: g.id, version: g.version, sessions: service.sessionSettingsOf(g) };
  }),
  update: adminProcedure.input(sessionsInput).mutation(({ ctx, input }) => service.updateSessions(ctx.user, ctx.actor, input)),
});
