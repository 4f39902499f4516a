import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as overview from "./overview";

/** What the administration overview shows besides the directory's status. */
export const overviewRouter = createTRPCRouter({
  /** Emergency access still waiting for an approver's review. */
  emergencies: adminProcedure.query(({ ctx }) => overview.unreviewedEmergencies(ctx.user)),
  /** Each worker's heartbeat (age, version, host). */
  workers: adminProcedure.query(({ ctx }) => overview.workers(ctx.user)),
  /** Directory outages still open, with the removals and activations waiting for them. */
  directoryOutages: adminProcedure.query(({ ctx }) => overview.directoryOutageBanner(ctx.user)),
});
