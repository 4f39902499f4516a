import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { replicationSettingsInput } from "./schemas";
import { getDirectoryStatus, recheckDirectory, updateReplicationSettings } from "./settings";

export const directoryRouter = createTRPCRouter({
  status: adminProcedure.query(({ ctx }) => getDirectoryStatus(ctx.user)),
  recheck: adminProcedure.mutation(({ ctx }) => recheckDirectory(ctx.user, ctx.actor)),
  updateReplication: adminProcedure.input(replicationSettingsInput).mutation(({ ctx, input }) => updateReplicationSettings(ctx.user, ctx.actor, input)),
});
