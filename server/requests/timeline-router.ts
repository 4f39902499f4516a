import { currentAdminStatus } from "@/server/auth/signin";
import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { requestTimeline, timelineInput } from "./timeline";

export const timelineRouter = createTRPCRouter({
  /**
   * One request's steps. Open to every signed-in person (the service lets the requester, approvers
   * and admins in); admin rights are re-read here because authedProcedure clears the token's hint.
   */
  get: authedProcedure
    .input(timelineInput)
    .query(async ({ ctx, input }) => requestTimeline({ ...ctx.user, isAdmin: await currentAdminStatus(ctx.user.id) }, input.requestId)),
});
