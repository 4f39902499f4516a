import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { siemStatus } from "./status";

/** The SIEM export's status for the administration overview (configuration is the environment's). */
export const siemRouter = createTRPCRouter({
  status: adminProcedure.query(({ ctx }) => siemStatus(ctx.user)),
});
