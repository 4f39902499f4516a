import "server-only";
import { adminProcedure, authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as queries from "./queries";
import { listSessionsInput, searchCommandsInput, sessionIdInput, startSessionInput, terminateSessionInput } from "./schemas";
import { sessionTargets, startSession } from "./start";

/** deviceSessions.*: recorded sessions on devices (issue 14); not user_sessions (sign-ins: server/admin/sessions.ts). */
export const deviceSessionsRouter = createTRPCRouter({
  targets: authedProcedure.query(({ ctx }) => sessionTargets(ctx.user, ctx.actor)),
  start: authedProcedure.input(startSessionInput).mutation(({ ctx, input }) => startSession(ctx.user, ctx.actor, input)),
  mine: authedProcedure.query(({ ctx }) => queries.mySessions(ctx.user)),
  end: authedProcedure.input(sessionIdInput).mutation(({ ctx, input }) => queries.endMySession(ctx.user, ctx.actor, input.sessionId)),
  // Admins and the group's approvers: the service decides (approvers are not a procedure-level role).
  terminate: authedProcedure.input(terminateSessionInput).mutation(({ ctx, input }) => queries.terminateSession(ctx.user, ctx.actor, input)),
  list: authedProcedure.input(listSessionsInput).query(({ ctx, input }) => queries.listSessions(ctx.user, input)),
  detail: authedProcedure.input(sessionIdInput).query(({ ctx, input }) => queries.sessionDetail(ctx.user, ctx.actor, input.sessionId)),
  searchCommands: adminProcedure.input(searchCommandsInput).query(({ ctx, input }) => queries.searchCommands(ctx.user, input)),
});
