import "server-only";
import { assertCan } from "@/server/auth/permissions";
import { adminProcedure, createCallerFactory, createContext, createTRPCRouter } from "@/server/trpc/init";
import { exportAuditInput } from "./schemas";

/*
 * Who may export, decided exactly as for a tRPC call: the same context (the session cookie's claims,
 * the client IP) and the same adminProcedure chain — the session row holds (not ended, idle or past
 * its lifetime, and is touched), the AD account is still usable, admin status re-read from AD — then
 * the query string through zod. Not mounted on the appRouter: a download is not a JSON answer.
 */
const exportGate = createTRPCRouter({
  authorize: adminProcedure.input(exportAuditInput).query(({ ctx, input }) => {
    assertCan(ctx.user, "read", "Audit");
    return { user: ctx.user, actor: ctx.actor, input, log: ctx.log };
  }),
});
const callGate = createCallerFactory(exportGate);

/** Throws tRPC's UNAUTHORIZED / FORBIDDEN / BAD_REQUEST errors, as a call would. */
export async function authorizeExport(headers: Pick<Headers, "get">, query: Record<string, string>) {
  return callGate(await createContext({ headers })).authorize(query);
}
