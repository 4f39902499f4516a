import "server-only";
import { z } from "zod";
import { endSessionsByAdmin, listOpenSessions } from "@/server/auth/sessions";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";

/** Admin: people's open sign-in sessions, and ending them (audited as auth.sessions_ended). */
export const sessionsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listOpenSessions(ctx.user)),
  end: adminProcedure.input(z.object({ userId: z.uuid() })).mutation(({ ctx, input }) => endSessionsByAdmin(ctx.user, ctx.actor, input.userId)),
});
