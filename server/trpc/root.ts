import "server-only";
import { accessGroupsRouter } from "@/server/access-groups/router";
import { apiTokensRouter } from "@/server/api/tokens/router";
import { overviewRouter } from "@/server/admin/router";
import { sessionsRouter } from "@/server/admin/sessions";
import { approvalsRouter } from "@/server/approvals/router";
import { auditRouter } from "@/server/audit/router";
import { auditChainRouter } from "@/server/audit/watch-router";
import { authRouter } from "@/server/auth/router";
import { catalogRouter } from "@/server/catalog/router";
import { configAsCodeRouter } from "@/server/config-as-code/router";
import { dashboardRouter } from "@/server/dashboard/router";
import { directoryRouter } from "@/server/directory/router";
import { driftRouter } from "@/server/drift/router";
import { grantsRouter } from "@/server/grants/router";
import { privilegeSetsRouter } from "@/server/privilege-sets/router";
import { privilegesRouter } from "@/server/privileges/router";
import { requestsRouter } from "@/server/requests/router";
import { deviceSessionsRouter } from "@/server/sessions/router";
import { siemRouter } from "@/server/siem/router";
import { createCallerFactory, createTRPCRouter } from "./init";

/**
 * One namespace per domain, each from server/<domain>/router.ts; a domain with sub-routers keeps
 * them in server/<domain>/routers/<name>.ts, composed in its router.ts.
 */
export const appRouter = createTRPCRouter({
  auth: authRouter,
  privileges: privilegesRouter,
  privilegeSets: privilegeSetsRouter,
  requests: requestsRouter,
  grants: grantsRouter,
  audit: auditRouter,
  directory: directoryRouter,
  accessGroups: accessGroupsRouter,
  catalog: catalogRouter,
  approvals: approvalsRouter,
  overview: overviewRouter,
  drift: driftRouter,
  sessions: sessionsRouter,
  deviceSessions: deviceSessionsRouter,
  auditChain: auditChainRouter,
  configuration: configAsCodeRouter,
  siem: siemRouter,
  dashboard: dashboardRouter,
  apiTokens: apiTokensRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
