import "server-only";
import { restApprovalsRouter } from "./routers/approvals";
import { restAuditRouter } from "./routers/audit";
import { restAccessGroupsRouter, restPrivilegesRouter } from "./routers/catalog";
import { restGrantsRouter } from "./routers/grants";
import { restRequestsRouter } from "./routers/requests";
import { createRestRouter } from "@/server/trpc/rest";

/** The REST API (/api/v1), separate from the UI's appRouter: only server/http/rest.ts serves it. */
export const restRouter = createRestRouter({
  requests: restRequestsRouter,
  grants: restGrantsRouter,
  approvals: restApprovalsRouter,
  privileges: restPrivilegesRouter,
  accessGroups: restAccessGroupsRouter,
  audit: restAuditRouter,
});

export type RestRouter = typeof restRouter;
