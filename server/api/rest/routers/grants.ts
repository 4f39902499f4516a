import "server-only";
import { z } from "zod";
import { endGrant, pageLiveGrants } from "@/server/grants/service";
import { LIVE_GRANT_FILTERS } from "@/server/grants/schemas";
import { MAX_PAGE, MAX_PAGE_SIZE } from "@/shared/paging";
import { endedGrantOutput, grantPageOutput } from "../outputs";
import { createRestRouter, scopedProcedure } from "@/server/trpc/rest";

const tags = ["grants"];

export const restGrantsRouter = createRestRouter({
  list: scopedProcedure("grants:read")
    .meta({ openapi: { method: "GET", path: "/grants", tags, summary: "Grants that hold or are about to hold access, newest first" } })
    .input(
      z.object({
        q: z.string().trim().max(100).default(""),
        state: z.enum(LIVE_GRANT_FILTERS).optional(),
        page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
        pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
      }),
    )
    .output(grantPageOutput)
    .query(({ ctx, input }) => pageLiveGrants(ctx.user, input)),
  end: scopedProcedure("grants:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/grants/{grantId}/end",
        tags,
        summary: "End a grant now: revoke it (default), or end the creator's own grant early",
      },
    })
    .input(z.object({ grantId: z.uuid(), reason: z.enum(["revoked", "ended_early"]).default("revoked") }))
    .output(endedGrantOutput)
    .mutation(({ ctx, input }) => endGrant(ctx.user, ctx.actor, input.grantId, input.reason)),
});
