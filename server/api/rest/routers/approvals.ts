import "server-only";
import { z } from "zod";
import { decide, inbox } from "@/server/approvals/service";
import { APPROVING_NEEDS_A_PERSON, decideInput } from "@/server/approvals/schemas";
import { forbidden } from "@/server/errors";
import { pendingApprovalOutput } from "../outputs";
import { createRestRouter, scopedProcedure } from "@/server/trpc/rest";

const tags = ["approvals"];

export const restApprovalsRouter = createRestRouter({
  pending: scopedProcedure("approvals:read")
    .meta({ openapi: { method: "GET", path: "/approvals/pending", tags, summary: "Requests waiting for the creator's decision at their current level" } })
    .output(z.array(pendingApprovalOutput))
    .query(({ ctx }) => inbox(ctx.user)),
  /**
   * Listed so clients find it and get a clear answer: always 403. The service refuses token
   * actors too (server/approvals/service.ts), so this holds if the check here were lost.
   */
  decide: scopedProcedure("approvals:read")
    .meta({
      openapi: {
        method: "POST",
        path: "/approvals/{requestId}/decide",
        tags,
        summary: "Refused: approving needs a person signed in",
        description: APPROVING_NEEDS_A_PERSON,
      },
    })
    .input(decideInput)
    .output(z.object({ status: z.string(), level: z.number(), grantId: z.uuid().nullable() }))
    .mutation(({ ctx, input }) => {
      if (ctx.actor.type === "token") throw forbidden(APPROVING_NEEDS_A_PERSON);
      return decide(ctx.user, ctx.actor, input);
    }),
});
