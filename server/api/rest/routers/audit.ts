import "server-only";
import { z } from "zod";
import { exportAuditPage } from "@/server/api/audit-export";
import { AUDIT_ACTIONS } from "@/server/audit/events";
import { auditPageOutput } from "../outputs";
import { createRestRouter, scopedProcedure } from "@/server/trpc/rest";

export const restAuditRouter = createRestRouter({
  export: scopedProcedure("audit:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/audit/events",
        tags: ["audit"],
        summary: "The audit trail in chain order, a page at a time",
        description: "Start with afterSeq=0 and pass each answer's nextAfterSeq until it is null. Filters: action, targetId, from (inclusive), to (exclusive).",
      },
    })
    .input(
      z.object({
        afterSeq: z.coerce.number().int().min(0).default(0),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        action: z.enum(AUDIT_ACTIONS as [string, ...string[]]).optional(),
        targetId: z.string().trim().max(200).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
      }),
    )
    .output(auditPageOutput)
    .query(({ ctx, input }) => exportAuditPage(ctx.user, input)),
});
