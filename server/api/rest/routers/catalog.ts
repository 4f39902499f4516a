import "server-only";
import { z } from "zod";
import { getAccessGroup, listAccessGroups } from "@/server/access-groups/service";
import { notFound } from "@/server/errors";
import { getPrivilege, listPrivileges } from "@/server/privileges/service";
import { accessGroupOutput, accessGroupSummaryOutput, privilegeOutput } from "../outputs";
import { createRestRouter, scopedProcedure } from "@/server/trpc/rest";

/** What can be requested and under which policy: published privileges and access groups (read only). */
export const restPrivilegesRouter = createRestRouter({
  list: scopedProcedure("privileges:read")
    .meta({ openapi: { method: "GET", path: "/privileges", tags: ["privileges"], summary: "Every published privilege" } })
    .output(z.array(privilegeOutput))
    .query(({ ctx }) => listPrivileges(ctx.user)),
  get: scopedProcedure("privileges:read")
    .meta({ openapi: { method: "GET", path: "/privileges/{privilegeId}", tags: ["privileges"], summary: "One published privilege" } })
    .input(z.object({ privilegeId: z.uuid() }))
    .output(privilegeOutput)
    .query(async ({ ctx, input }) => {
      const row = await getPrivilege(ctx.user, input.privilegeId);
      if (!row) throw notFound("No such privilege.");
      return row;
    }),
});

export const restAccessGroupsRouter = createRestRouter({
  list: scopedProcedure("access-groups:read")
    .meta({ openapi: { method: "GET", path: "/access-groups", tags: ["access groups"], summary: "Every access group with its member and approver counts" } })
    .output(z.array(accessGroupSummaryOutput))
    .query(({ ctx }) => listAccessGroups(ctx.user)),
  get: scopedProcedure("access-groups:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/access-groups/{accessGroupId}",
        tags: ["access groups"],
        summary: "One access group's settings, criteria, limits and locations",
      },
    })
    .input(z.object({ accessGroupId: z.uuid() }))
    .output(accessGroupOutput)
    .query(({ ctx, input }) => getAccessGroup(ctx.user, input.accessGroupId)),
});
