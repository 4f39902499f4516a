import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { createPrivilegeSetInput, updatePrivilegeSetInput } from "./schemas";
import * as service from "./service";

/** Administration of privilege sets; requesters ask for a set through requests.submit. */
export const privilegeSetsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => service.listPrivilegeSets(ctx.user)),
  /** The privileges and directory accounts the set form offers. */
  options: adminProcedure.query(({ ctx }) => service.privilegeSetOptions(ctx.user)),
  create: adminProcedure.input(createPrivilegeSetInput).mutation(({ ctx, input }) => service.createPrivilegeSet(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updatePrivilegeSetInput).mutation(({ ctx, input }) => service.updatePrivilegeSet(ctx.user, ctx.actor, input)),
});
