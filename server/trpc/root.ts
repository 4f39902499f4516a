import { currentAdminStatus } from "@/server/auth/signin";
import { accessGroupsRouter } from "@/server/access-groups/router";
import { overviewRouter } from "@/server/admin/router";
import { approvalsRouter } from "@/server/approvals/router";
import { auditRouter } from "@/server/audit/router";
import { catalogRouter } from "@/server/catalog/router";
import { directoryRouter } from "@/server/directory/router";
import { driftRouter } from "@/server/drift/router";
import { grantsRouter } from "@/server/grants/router";
import { privilegeSetsRouter } from "@/server/privilege-sets/router";
import { privilegesRouter } from "@/server/privileges/router";
import { requestsRouter } from "@/server/requests/router";
import { timelineRouter } from "@/server/requests/timeline-router";
import { authedProcedure, createCallerFactory, createTRPCRouter } from "./init";

export const appRouter = createTRPCRouter({
  me: authedProcedure.query(async ({ ctx }) => ({ ...ctx.user, isAdmin: await currentAdminStatus(ctx.user.id) })),
  privileges: privilegesRouter,
  privilegeSets: privilegeSetsRouter,
  requests: requestsRouter,
  grants: grantsRouter,
  audit: auditRouter,
  directory: directoryRouter,
  accessGroups: accessGroupsRouter,
  catalog: catalogRouter,
  approvals: approvalsRouter,
  timeline: timelineRouter,
  overview: overviewRouter,
  drift: driftRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
