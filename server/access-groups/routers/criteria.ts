import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { criteriaInput, criteriaPreviewInput, groupIdInput } from "../schemas";
import { previewCriteria } from "../preview";
import * as service from "../service";

export const criteriaRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return { id: g.id, version: g.version, criteria: service.toPolicy(g).criteria };
  }),
  update: adminProcedure.input(criteriaInput).mutation(({ ctx, input }) => service.updateCriteria(ctx.user, ctx.actor, input)),
  /** What the group's users would see with these (unsaved) criteria: counts and a sample. */
  preview: adminProcedure.input(criteriaPreviewInput).query(({ ctx, input }) => previewCriteria(ctx.user, input.criteria, input.sampleSize)),
});
