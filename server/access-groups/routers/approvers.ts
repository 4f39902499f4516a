import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { approversInput, groupIdInput, principalSearchInput } from "../schemas";
import * as members from "../members";
import * as service from "../service";

export const approversRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    const settings = service.toPolicy(g).settings;
    return {
      id: g.id,
      version: g.version,
      requiresApproval: settings.requiresApproval,
      approvalInLevels: settings.approvalInLevels,
      ...(await service.getApprovers(ctx.user, g.id)),
    };
  }),
  search: adminProcedure.input(principalSearchInput.pick({ query: true })).query(({ ctx, input }) => members.searchDirectory(ctx.user, "user", input.query)),
  update: adminProcedure.input(approversInput).mutation(({ ctx, input }) => service.updateApprovers(ctx.user, ctx.actor, input)),
});
