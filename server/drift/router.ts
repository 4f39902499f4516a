import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { pageDriftSettings, pageFindings } from "./lists";
import { driftFindingInput, driftFindingsPageInput, driftResolvedInput, driftSettingsInput, driftSettingsPageInput } from "./schemas";
import * as service from "./service";

export const driftRouter = createTRPCRouter({
  /** Open findings (the navigation badge), the latest check, and whether one is running. */
  status: adminProcedure.query(({ ctx }) => service.driftStatus(ctx.user)),
  findings: adminProcedure.query(({ ctx }) => service.listFindings(ctx.user)),
  resolved: adminProcedure.input(driftResolvedInput).query(({ ctx, input }) => service.listResolvedFindings(ctx.user, input.limit)),
  settings: adminProcedure.query(({ ctx }) => service.listDriftSettings(ctx.user)),
  /** The same lists one page at a time, searched and filtered (the drift page). */
  findingsPage: adminProcedure.input(driftFindingsPageInput).query(({ ctx, input }) => pageFindings(ctx.user, input)),
  settingsPage: adminProcedure.input(driftSettingsPageInput).query(({ ctx, input }) => pageDriftSettings(ctx.user, input)),
  setAction: adminProcedure.input(driftSettingsInput).mutation(({ ctx, input }) => service.setDriftAction(ctx.user, ctx.actor, input)),
  accept: adminProcedure.input(driftFindingInput).mutation(({ ctx, input }) => service.acceptFinding(ctx.user, ctx.actor, input)),
  remove: adminProcedure.input(driftFindingInput).mutation(({ ctx, input }) => service.removeFinding(ctx.user, ctx.actor, input)),
  /** "Check now": queues the reconcile. */
  check: adminProcedure.mutation(({ ctx }) => service.requestDriftCheck(ctx.user, ctx.actor)),
});
