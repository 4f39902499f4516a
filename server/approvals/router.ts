import "server-only";
import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { decideInput, reviewInput } from "./schemas";
import * as service from "./service";

/** What an approver does; the requester's own cancel is requests.cancel. */
export const approvalsRouter = createTRPCRouter({
  /** Requests waiting for the signed-in approver's decision. */
  inbox: authedProcedure.query(({ ctx }) => service.inbox(ctx.user)),
  history: authedProcedure.query(({ ctx }) => service.myDecisions(ctx.user)),
  decide: authedProcedure.input(decideInput).mutation(({ ctx, input }) => service.decide(ctx.user, ctx.actor, input)),
  /** Emergency grants this approver should look at afterwards. */
  emergencies: authedProcedure.query(({ ctx }) => service.emergenciesToReview(ctx.user)),
  review: authedProcedure.input(reviewInput).mutation(({ ctx, input }) => service.reviewEmergency(ctx.user, ctx.actor, input.requestId, input.comment)),
});
