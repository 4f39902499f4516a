import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { catalogIdInput, catalogListInput, createDeviceInput, updateDeviceInput } from "../schemas";
import * as service from "../service";

export const devicesRouter = createTRPCRouter({
  list: adminProcedure.input(catalogListInput).query(({ ctx, input }) => service.listDevices(ctx.user, input)),
  create: adminProcedure.input(createDeviceInput).mutation(({ ctx, input }) => service.createDevice(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updateDeviceInput).mutation(({ ctx, input }) => service.updateDevice(ctx.user, ctx.actor, input)),
  delete: adminProcedure.input(catalogIdInput).mutation(({ ctx, input }) => service.deleteDevice(ctx.user, ctx.actor, input.id)),
});
