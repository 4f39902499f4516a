import "server-only";
import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { acknowledgeAlert, openAlerts } from "./watch-alerts";

export const acknowledgeChainAlertInput = z.object({
  id: z.uuid(),
  note: z.string().trim().min(1, "Say what was checked or done").max(500, "At most 500 characters"),
});

/** Broken-chain alerts raised by the worker (server/audit/watch.ts): the overview banner and its acknowledgement. */
export const auditChainRouter = createTRPCRouter({
  open: adminProcedure.query(({ ctx }) => openAlerts(ctx.user)),
  acknowledge: adminProcedure.input(acknowledgeChainAlertInput).mutation(({ ctx, input }) => acknowledgeAlert(ctx.user, ctx.actor, input.id, input.note)),
});
