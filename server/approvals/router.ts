import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { decideInput, requestIdInput } from "./schemas";
import * as service from "./service";

export const approvalsRouter = createTRPCRouter({
  /** Requests waiting for the signed-in approver's decision. */
  inbox: authedProcedure.query(({ ctx }) => service.inbox(ctx.user)),
  history: authedProcedure.query(({ ctx }) => service.myDecisions(ctx.user)),
  decide: authedProcedure.input(decideInput).mutation(({ ctx, input }) => service.decide(ctx.user, ctx.actor, input)),
  /** The requester withdraws a request that still waits. */
  cancel: authedProcedure.input(requestIdInput).mutation(({ ctx, input }) => service.cancelRequest(ctx.user, ctx.actor, input.requestId)),
});
