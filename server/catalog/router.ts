import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import {
  catalogIdInput,
  catalogListInput,
  createCredentialInput,
  createDeviceInput,
  syncLatestInput,
  updateCredentialInput,
  updateDeviceInput,
} from "./schemas";
import * as service from "./service";

export const catalogRouter = createTRPCRouter({
  devices: createTRPCRouter({
    list: adminProcedure.input(catalogListInput).query(({ ctx, input }) => service.listDevices(ctx.user, input)),
    create: adminProcedure.input(createDeviceInput).mutation(({ ctx, input }) => service.createDevice(ctx.user, ctx.actor, input)),
    update: adminProcedure.input(updateDeviceInput).mutation(({ ctx, input }) => service.updateDevice(ctx.user, ctx.actor, input)),
    delete: adminProcedure.input(catalogIdInput).mutation(({ ctx, input }) => service.deleteDevice(ctx.user, ctx.actor, input.id)),
  }),
  credentials: createTRPCRouter({
    list: adminProcedure.input(catalogListInput).query(({ ctx, input }) => service.listCredentials(ctx.user, input)),
    create: adminProcedure.input(createCredentialInput).mutation(({ ctx, input }) => service.createCredential(ctx.user, ctx.actor, input)),
    update: adminProcedure.input(updateCredentialInput).mutation(({ ctx, input }) => service.updateCredential(ctx.user, ctx.actor, input)),
    delete: adminProcedure.input(catalogIdInput).mutation(({ ctx, input }) => service.deleteCredential(ctx.user, ctx.actor, input.id)),
  }),
  sync: createTRPCRouter({
    /** "Sync now": returns the run to watch (an already queued one is joined). */
    request: adminProcedure.mutation(({ ctx }) => service.requestCatalogSync(ctx.user, ctx.actor)),
    latest: adminProcedure.input(syncLatestInput).query(({ ctx, input }) => service.latestSyncRuns(ctx.user, input.limit)),
    byId: adminProcedure.input(catalogIdInput).query(({ ctx, input }) => service.getSyncRun(ctx.user, input.id)),
  }),
});
