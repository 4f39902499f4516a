import "server-only";
import { extendGrantInput, grantIdInput } from "@/server/requests/schemas";
import { extendGrant } from "./extend";
import { liveGrantPageInput } from "./schemas";
import { adminProcedure, authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as service from "./service";

export const grantsRouter = createTRPCRouter({
  live: adminProcedure.query(({ ctx }) => service.listLiveGrants(ctx.user)),
  /** One page of them, searched and filtered by state (the admin list). */
  page: adminProcedure.input(liveGrantPageInput).query(({ ctx, input }) => service.pageLiveGrants(ctx.user, input)),
  revoke: adminProcedure.input(grantIdInput).mutation(({ ctx, input }) => service.endGrant(ctx.user, ctx.actor, input.grantId, "revoked")),
  extend: authedProcedure.input(extendGrantInput).mutation(({ ctx, input }) => extendGrant(ctx.user, ctx.actor, input)),
  endEarly: authedProcedure.input(grantIdInput).mutation(({ ctx, input }) => service.endGrant(ctx.user, ctx.actor, input.grantId, "ended_early")),
  /** Max Kerberos ticket age, PAM feature, the caller's TTL grants: for saying when access truly ends. */
  kerberos: authedProcedure.query(({ ctx }) => service.kerberosFacts(ctx.user)),
});
