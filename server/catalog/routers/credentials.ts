import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { catalogIdInput, catalogListInput, createCredentialInput, updateCredentialInput } from "../schemas";
import * as service from "../service";

export const credentialsRouter = createTRPCRouter({
  list: adminProcedure.input(catalogListInput).query(({ ctx, input }) => service.listCredentials(ctx.user, input)),
  create: adminProcedure.input(createCredentialInput).mutation(({ ctx, input }) => service.createCredential(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updateCredentialInput).mutation(({ ctx, input }) => service.updateCredential(ctx.user, ctx.actor, input)),
  delete: adminProcedure.input(catalogIdInput).mutation(({ ctx, input }) => service.deleteCredential(ctx.user, ctx.actor, input.id)),
});
