import "server-only";
import { currentAdminStatus } from "@/server/auth/signin";
import type { SessionUser } from "@/server/auth/permissions";
import { adminProcedure, authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { issueConnectToken } from "./connect-token";
import * as queries from "./queries";
import { listSessionsInput, searchCommandsInput, sessionIdInput, startSessionInput, terminateSessionInput } from "./schemas";
import { sessionTargets, startSession } from "./start";

/** authedProcedure drops the token's admin hint; where admins see more, their status is read again (as requests.timeline does). */
const withAdminStatus = async (user: SessionUser): Promise<SessionUser> => ({ ...user, isAdmin: await currentAdminStatus(user.id) });

/** deviceSessions.*: recorded sessions on devices (issue 14); not user_sessions (sign-ins: server/admin/sessions.ts). */
export const deviceSessionsRouter = createTRPCRouter({
  targets: authedProcedure.query(({ ctx }) => sessionTargets(ctx.user, ctx.actor)),
  start: authedProcedure.input(startSessionInput).mutation(({ ctx, input }) => startSession(ctx.user, ctx.actor, input)),
  mine: authedProcedure.query(({ ctx }) => queries.mySessions(ctx.user)),
  end: authedProcedure
    .input(sessionIdInput)
    .mutation(async ({ ctx, input }) => queries.endMySession(await withAdminStatus(ctx.user), ctx.actor, input.sessionId)),
  // Admins and the group's approvers: the service decides (approvers are not a procedure-level role).
  terminate: authedProcedure
    .input(terminateSessionInput)
    .mutation(async ({ ctx, input }) => queries.terminateSession(await withAdminStatus(ctx.user), ctx.actor, input)),
  list: authedProcedure.input(listSessionsInput).query(async ({ ctx, input }) => queries.listSessions(await withAdminStatus(ctx.user), input)),
  detail: authedProcedure
    .input(sessionIdInput)
    .query(async ({ ctx, input }) => queries.sessionDetail(await withAdminStatus(ctx.user), ctx.actor, input.sessionId)),
  /** A one-time token and the command line for a native SSH client (shown once). */
  connectToken: authedProcedure.input(sessionIdInput).mutation(({ ctx, input }) => issueConnectToken(ctx.user, ctx.actor, input.sessionId)),
  searchCommands: adminProcedure.input(searchCommandsInput).query(({ ctx, input }) => queries.searchCommands(ctx.user, input, ctx.actor)),
});
