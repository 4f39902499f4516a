import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { timelineInput } from "./inputs";
import { dashboardSummary, dashboardTimeline } from "./service";

/** The charts and counts of the administration overview (administrators only). */
export const dashboardRouter = createTRPCRouter({
  /** Active grants, expiry lag and grant latency over the last 24 hours or 7 days. */
  timeline: adminProcedure.input(timelineInput).query(({ ctx, input }) => dashboardTimeline(ctx.user, input)),
  /** Requests per day by outcome, the most requested privileges, open drift and unreviewed emergencies. */
  summary: adminProcedure.query(({ ctx }) => dashboardSummary(ctx.user)),
});
