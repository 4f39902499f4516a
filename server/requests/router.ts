import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { previewRequestInput, submitRequestInput } from "./schemas";
import * as service from "./service";

export const requestsRouter = createTRPCRouter({
  /** What the signed-in user's access groups allow, with the verdict for each privilege now. */
  access: authedProcedure.query(({ ctx }) => service.myAccess(ctx.user, ctx.actor)),
  preview: authedProcedure.input(previewRequestInput).query(({ ctx, input }) => service.previewRequest(ctx.user, ctx.actor, input)),
  submit: authedProcedure.input(submitRequestInput).mutation(({ ctx, input }) => service.submitRequest(ctx.user, ctx.actor, input)),
  mine: authedProcedure.query(({ ctx }) => service.listMyRequests(ctx.user)),
});
