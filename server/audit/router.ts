import "server-only";
import { db } from "@/db";
import { assertCan } from "@/server/auth/permissions";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { AUDIT_ACTIONS } from "./events";
import { listAuditInput } from "./schemas";
import { verifyChainAndCheckpoints } from "./checkpoints-status";
import { listAudit } from "./service";

export const auditRouter = createTRPCRouter({
  actions: adminProcedure.query(() => AUDIT_ACTIONS),
  list: adminProcedure.input(listAuditInput).query(({ ctx, input }) => {
    assertCan(ctx.user, "read", "Audit");
    return listAudit(db, input);
  }),
  verify: adminProcedure.mutation(({ ctx }) => {
    assertCan(ctx.user, "read", "Audit");
    return verifyChainAndCheckpoints(ctx.user);
  }),
});
