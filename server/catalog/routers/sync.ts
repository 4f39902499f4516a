import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { catalogIdInput, syncLatestInput } from "../schemas";
import * as service from "../service";

export const syncRouter = createTRPCRouter({
  /** "Sync now": returns the run to watch (an already queued one is joined). */
  request: adminProcedure.mutation(({ ctx }) => service.requestCatalogSync(ctx.user, ctx.actor)),
  latest: adminProcedure.input(syncLatestInput).query(({ ctx, input }) => service.latestSyncRuns(ctx.user, input.limit)),
  byId: adminProcedure.input(catalogIdInput).query(({ ctx, input }) => service.getSyncRun(ctx.user, input.id)),
});
