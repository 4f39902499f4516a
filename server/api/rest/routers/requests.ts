import "server-only";
import { z } from "zod";
import { requestStatus } from "@/server/api/request-status";
import { cancelRequest } from "@/server/approvals/service";
import { listMyRequests } from "@/server/requests/mine";
import { submitRequestInput } from "@/server/requests/schemas";
import { submitRequest } from "@/server/requests/service";
import { requestListOutput, requestStatusOutput, submittedOutput } from "../outputs";
import { createRestRouter, scopedProcedure } from "@/server/trpc/rest";

const tags = ["requests"];
const requestId = z.object({ requestId: z.uuid() });

/** The token creator's own requests: as on /roles, a token asks for access for the person who made it. */
export const restRequestsRouter = createRestRouter({
  list: scopedProcedure("requests:read")
    .meta({ openapi: { method: "GET", path: "/requests", tags, summary: "The creator's live requests, then a page of earlier ones" } })
    .input(
      z.object({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        /** Both from the previous answer's nextCursor. */
        cursorRequestedAt: z.coerce.date().optional(),
        cursorRequestId: z.uuid().optional(),
      }),
    )
    .output(requestListOutput)
    .query(({ ctx, input }) => {
      const cursor = input.cursorRequestedAt && input.cursorRequestId ? { requestedAt: input.cursorRequestedAt, requestId: input.cursorRequestId } : undefined;
      return listMyRequests(ctx.user, { limit: input.limit, cursor });
    }),
  get: scopedProcedure("requests:read")
    .meta({ openapi: { method: "GET", path: "/requests/{requestId}", tags, summary: "One request: status, grants and timeline" } })
    .input(requestId)
    .output(requestStatusOutput)
    .query(({ ctx, input }) => requestStatus(ctx.user, input.requestId)),
  submit: scopedProcedure("requests:write")
    .meta({ openapi: { method: "POST", path: "/requests", tags, summary: "Ask for a privilege (or a set) for the creator, as /roles does" } })
    .input(submitRequestInput)
    .output(submittedOutput)
    .mutation(async ({ ctx, input }) => {
      const r = await submitRequest(ctx.user, ctx.actor, input);
      return { requestId: r.requestId, status: r.status, grantId: r.grantId, accessGroup: r.accessGroup };
    }),
  cancel: scopedProcedure("requests:write")
    .meta({ openapi: { method: "POST", path: "/requests/{requestId}/cancel", tags, summary: "Withdraw a request that still waits" } })
    .input(requestId)
    .output(z.object({ status: z.literal("cancelled") }))
    .mutation(({ ctx, input }) => cancelRequest(ctx.user, ctx.actor, input.requestId)),
});
