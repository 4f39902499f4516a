import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as lists from "../lists";
import { catalogIdInput, catalogListInput, catalogPageInput, createDeviceInput, updateDeviceInput } from "../schemas";
import * as service from "../service";
import * as sessionsAdmin from "@/server/sessions/admin";
import { confirmHostKeyInput, deviceEndpointInput, deviceIdInput } from "@/server/sessions/schemas";

export const devicesRouter = createTRPCRouter({
  /** One page, searched and filtered (the admin list). */
  page: adminProcedure.input(catalogPageInput).query(({ ctx, input }) => lists.pageDevices(ctx.user, input)),
  list: adminProcedure.input(catalogListInput).query(({ ctx, input }) => service.listDevices(ctx.user, input)),
  create: adminProcedure.input(createDeviceInput).mutation(({ ctx, input }) => service.createDevice(ctx.user, ctx.actor, input)),
  update: adminProcedure.input(updateDeviceInput).mutation(({ ctx, input }) => service.updateDevice(ctx.user, ctx.actor, input)),
  delete: adminProcedure.input(catalogIdInput).mutation(({ ctx, input }) => service.deleteDevice(ctx.user, ctx.actor, input.id)),
  /** SSH endpoint and pinned host key for sessions (issue 14). */
  setEndpoint: adminProcedure.input(deviceEndpointInput).mutation(({ ctx, input }) => sessionsAdmin.setDeviceEndpoint(ctx.user, ctx.actor, input)),
  scanHostKey: adminProcedure.input(deviceIdInput).mutation(({ ctx, input }) => sessionsAdmin.scanDeviceHostKey(ctx.user, ctx.actor, input.deviceId)),
  confirmHostKey: adminProcedure.input(confirmHostKeyInput).mutation(({ ctx, input }) => sessionsAdmin.confirmDeviceHostKey(ctx.user, ctx.actor, input)),
});
