import "server-only";
import { z } from "zod";
import { adminProcedure, authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { publishPrivilegeInput, searchGroupsInput, updatePrivilegeInput } from "./schemas";
import * as service from "./service";

export const privilegesRouter = createTRPCRouter({
  /** What the signed-in user may request (their access groups decide), without directory identifiers. */
  available: authedProcedure.query(({ ctx }) => service.requestablePrivileges(ctx.user, ctx.actor)),
  /** Every published privilege, for admins. */
  list: adminProcedure.query(({ ctx }) => service.listPrivileges(ctx.user)),
  searchGroups: adminProcedure.input(searchGroupsInput).query(({ ctx, input }) => service.searchDirectoryGroups(ctx.user, input.query)),
  publish: adminProcedure.input(publishPrivilegeInput).mutation(({ ctx, input }) => service.publishPrivilege(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updatePrivilegeInput).mutation(({ ctx, input }) => service.updatePrivilege(ctx.user, ctx.actor, input)),
  byId: adminProcedure.input(z.object({ id: z.string().uuid() })).query(async ({ ctx, input }) => {
    const all = await service.listPrivileges(ctx.user);
    return all.find((p) => p.id === input.id) ?? null;
  }),
});
