import { grantIdInput } from "@/server/requests/schemas";
import { adminProcedure, authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as service from "./service";

export const grantsRouter = createTRPCRouter({
  live: adminProcedure.query(({ ctx }) => service.listLiveGrants(ctx.user)),
  revoke: adminProcedure.input(grantIdInput).mutation(({ ctx, input }) => service.endGrant(ctx.user, ctx.actor, input.grantId, "revoked")),
  endEarly: authedProcedure.input(grantIdInput).mutation(({ ctx, input }) => service.endGrant(ctx.user, ctx.actor, input.grantId, "ended_early")),
});
