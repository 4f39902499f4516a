import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { groupIdInput, locationsInput } from "../schemas";
import { countryList } from "../countries";
import * as service from "../service";

export const locationsRouter = createTRPCRouter({
  get: adminProcedure.input(groupIdInput).query(async ({ ctx, input }) => {
    const g = await service.getAccessGroup(ctx.user, input.id);
    return { id: g.id, version: g.version, locations: service.toPolicy(g).locations };
  }),
  update: adminProcedure.input(locationsInput).mutation(({ ctx, input }) => service.updateLocations(ctx.user, ctx.actor, input)),
  countries: adminProcedure.query(() => countryList()),
});
