import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { apiTokenIdInput, createApiTokenInput } from "./schemas";
import { createApiToken, listApiTokens, revokeApiToken } from "./service";

/** /admin/api-tokens: the tokens of the REST API. The secret is only in create's answer. */
export const apiTokensRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiTokens(ctx.user)),
  create: adminProcedure.input(createApiTokenInput).mutation(({ ctx, input }) => createApiToken(ctx.user, ctx.actor, input)),
  revoke: adminProcedure.input(apiTokenIdInput).mutation(({ ctx, input }) => revokeApiToken(ctx.user, ctx.actor, input.tokenId)),
});
