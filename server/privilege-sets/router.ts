import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { createPrivilegeSetInput, privilegeSetPageInput, updatePrivilegeSetInput } from "./schemas";
import * as service from "./service";

/** Administration of privilege sets; requesters ask for a set through requests.submit. */
export const privilegeSetsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => service.listPrivilegeSets(ctx.user)),
  /** One page of them, searched and filtered (the admin list). */
  page: adminProcedure.input(privilegeSetPageInput).query(({ ctx, input }) => service.pagePrivilegeSets(ctx.user, input)),
  /** The privileges and directory accounts the set form offers. */
  options: adminProcedure.query(({ ctx }) => service.privilegeSetOptions(ctx.user)),
  create: adminProcedure.input(createPrivilegeSetInput).mutation(({ ctx, input }) => service.createPrivilegeSet(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updatePrivilegeSetInput).mutation(({ ctx, input }) => service.updatePrivilegeSet(ctx.user, ctx.actor, input)),
});
