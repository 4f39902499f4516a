import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { groupIdInput, limitsInput, limitsPreviewInput } from "../schemas";
import { previewLimits } from "../preview";
import * as service from "../service";

export const limitsRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return { id: g.id, version: g.version, timeZone: g.timeZone, limits: service.toPolicy(g).limits };
  }),
  update: adminProcedure.input(limitsInput).mutation(({ ctx, input }) => service.updateLimits(ctx.user, ctx.actor, input)),
  /** Is access open now (or at `at`), and when would a grant of this length end: the clipped end. */
  preview: adminProcedure.input(limitsPreviewInput).query(({ ctx, input }) => previewLimits(ctx.user, input)),
});
