import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { submitRequestInput } from "./schemas";
import * as service from "./service";

export const requestsRouter = createTRPCRouter({
  submit: authedProcedure.input(submitRequestInput).mutation(({ ctx, input }) => service.submitRequest(ctx.user, ctx.actor, input)),
  mine: authedProcedure.query(({ ctx }) => service.listMyRequests(ctx.user)),
});
