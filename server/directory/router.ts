import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { getDirectoryStatus, recheckDirectory } from "./settings";

export const directoryRouter = createTRPCRouter({
  status: adminProcedure.query(({ ctx }) => getDirectoryStatus(ctx.user)),
  recheck: adminProcedure.mutation(({ ctx }) => recheckDirectory(ctx.user, ctx.actor)),
});
