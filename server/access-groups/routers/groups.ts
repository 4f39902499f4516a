import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as lists from "../lists";
import { accessGroupPageInput, createGroupInput, groupIdInput } from "../schemas";
import * as service from "../service";

/** The list of access groups: create, open, delete. Each tab has its own router next to this one. */
export const groupsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => service.listAccessGroups(ctx.user)),
  /** One page of them, searched and filtered (the admin list). */
  page: adminProcedure.input(accessGroupPageInput).query(({ ctx, input }) => lists.pageAccessGroups(ctx.user, input)),
  byId: adminProcedure.input(groupIdInput).query(({ ctx, input }) => service.getAccessGroup(ctx.user, input.id)),
  create: adminProcedure.input(createGroupInput).mutation(({ ctx, input }) => service.createAccessGroup(ctx.user, ctx.actor, input)),
  delete: adminProcedure.input(groupIdInput).mutation(({ ctx, input }) => service.deleteAccessGroup(ctx.user, ctx.actor, input.id)),
});
