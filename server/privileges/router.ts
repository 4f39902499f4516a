import "server-only";
import { z } from "zod";
import { adminProcedure, authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { privilegePageInput, publishPrivilegeInput, searchGroupsInput, updatePrivilegeInput } from "./schemas";
import * as service from "./service";

export const privilegesRouter = createTRPCRouter({
  /** What the signed-in user may request (their access groups decide), without directory identifiers. */
  available: authedProcedure.query(({ ctx }) => service.requestablePrivileges(ctx.user, ctx.actor)),
  /** Every published privilege, for admins. */
  list: adminProcedure.query(({ ctx }) => service.listPrivileges(ctx.user)),
  /** One page of them, searched and filtered (the admin list). */
  page: adminProcedure.input(privilegePageInput).query(({ ctx, input }) => service.pagePrivileges(ctx.user, input)),
  searchGroups: adminProcedure.input(searchGroupsInput).query(({ ctx, input }) => service.searchDirectoryGroups(ctx.user, input.query)),
  publish: adminProcedure.input(publishPrivilegeInput).mutation(({ ctx, input }) => service.publishPrivilege(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updatePrivilegeInput).mutation(({ ctx, input }) => service.updatePrivilege(ctx.user, ctx.actor, input)),
  byId: adminProcedure.input(z.object({ id: z.string().uuid() })).query(async ({ ctx, input }) => {
    return service.getPrivilege(ctx.user, input.id);
  }),
});
