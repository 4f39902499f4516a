import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as lists from "../lists";
import { catalogIdInput, catalogListInput, catalogPageInput, createCredentialInput, updateCredentialInput } from "../schemas";
import * as service from "../service";
import { setCredentialManaged } from "@/server/sessions/admin";
import { credentialManagedInput } from "@/server/sessions/schemas";

export const credentialsRouter = createTRPCRouter({
  /** One page, searched and filtered (the admin list). */
  page: adminProcedure.input(catalogPageInput).query(({ ctx, input }) => lists.pageCredentials(ctx.user, input)),
  list: adminProcedure.input(catalogListInput).query(({ ctx, input }) => service.listCredentials(ctx.user, input)),
  create: adminProcedure.input(createCredentialInput).mutation(({ ctx, input }) => service.createCredential(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updateCredentialInput).mutation(({ ctx, input }) => service.updateCredential(ctx.user, ctx.actor, input)),
  delete: adminProcedure.input(catalogIdInput).mutation(({ ctx, input }) => service.deleteCredential(ctx.user, ctx.actor, input.id)),
  /** Interim sets the account's password before and after each session (issue 14). */
  setManaged: adminProcedure.input(credentialManagedInput).mutation(({ ctx, input }) => setCredentialManaged(ctx.user, ctx.actor, input)),
});
