import "server-only";
import { createTRPCRouter } from "@/server/trpc/init";
import { credentialsRouter } from "./routers/credentials";
import { devicesRouter } from "./routers/devices";
import { syncRouter } from "./routers/sync";

/** catalog.devices.*, catalog.credentials.*, and catalog.sync.* for the directory import. */
export const catalogRouter = createTRPCRouter({
  devices: devicesRouter,
  credentials: credentialsRouter,
  sync: syncRouter,
});
