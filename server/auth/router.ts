import "server-only";
import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import { currentAdminStatus } from "./signin";

export const authRouter = createTRPCRouter({
  /** The signed-in person, with admin rights re-read (the session token only hints at them). */
  me: authedProcedure.query(async ({ ctx }) => ({ ...ctx.user, isAdmin: await currentAdminStatus(ctx.user.id) })),
});
