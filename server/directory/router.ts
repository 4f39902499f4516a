import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { replicationSettingsInput } from "./schemas";
import { getDirectoryStatus, recheckDirectory, updateReplicationSettings } from "./settings";
import { directorySetupPlan } from "./setup";

export const directoryRouter = createTRPCRouter({
  status: adminProcedure.query(({ ctx }) => getDirectoryStatus(ctx.user)),
  recheck: adminProcedure.mutation(({ ctx }) => recheckDirectory(ctx.user, ctx.actor)),
  /** The setup assistant: what the service account needs, whether it has it, and the commands (server/directory/setup.ts). */
  setup: adminProcedure.query(({ ctx }) => directorySetupPlan(ctx.user)),
  updateReplication: adminProcedure.input(replicationSettingsInput).mutation(({ ctx, input }) => updateReplicationSettings(ctx.user, ctx.actor, input)),
});
