import "server-only";
import { requestIdInput } from "@/server/approvals/schemas";
import { cancelRequest } from "@/server/approvals/service";
import { currentAdminStatus } from "@/server/auth/signin";
import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { accessListInput, accountsInput, favouriteInput, mineInput, previewRequestInput, submitRequestInput } from "./schemas";
import { listAccess, listAccountsFor, setFavourite } from "./access";
import { listMyRequests } from "./mine";
import * as service from "./service";
import { requestTimeline, timelineInput } from "./timeline";

/** What a requester does with their requests; approvers decide through approvals.*. */
export const requestsRouter = createTRPCRouter({
  /** One page of what the signed-in user's access groups allow, with the verdict for each privilege now (cached: server/requests/access.ts). */
  access: authedProcedure.input(accessListInput).query(({ ctx, input }) => listAccess(ctx.user, ctx.actor, ctx.sessionId, input)),
  /** The privileged accounts one listed privilege may elevate (the request form's choices). */
  accounts: authedProcedure.input(accountsInput).query(({ ctx, input }) => listAccountsFor(ctx.user, ctx.actor, ctx.sessionId, input)),
  /** Stars or un-stars a privilege: favourites are listed first. */
  favourite: authedProcedure.input(favouriteInput).mutation(({ ctx, input }) => setFavourite(ctx.user, ctx.actor, ctx.sessionId, input)),
  preview: authedProcedure.input(previewRequestInput).query(({ ctx, input }) => service.previewRequest(ctx.user, ctx.actor, input)),
  submit: authedProcedure.input(submitRequestInput).mutation(({ ctx, input }) => service.submitRequest(ctx.user, ctx.actor, input)),
  /** Live requests first, then a page of earlier ones (cursor). */
  mine: authedProcedure.input(mineInput).query(({ ctx, input }) => listMyRequests(ctx.user, input)),
  /** The requester withdraws a request that still waits. */
  cancel: authedProcedure.input(requestIdInput).mutation(({ ctx, input }) => cancelRequest(ctx.user, ctx.actor, input.requestId)),
  /**
   * One request's steps. Open to every signed-in person (the service lets the requester, approvers
   * and admins in); admin rights are re-read here because authedProcedure clears the token's hint.
   */
  timeline: authedProcedure
    .input(timelineInput)
    .query(async ({ ctx, input }) => requestTimeline({ ...ctx.user, isAdmin: await currentAdminStatus(ctx.user.id) }, input.requestId)),
});
