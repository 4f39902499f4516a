import { initTRPC, TRPCError } from "@trpc/server";
import { getServerSession } from "next-auth";
import superjson from "superjson";
import { ZodError } from "zod";
import type { AuditActor } from "@/server/audit/events";
import { authOptions } from "@/server/auth/options";
import { can, type Action, type SessionUser, type Subject } from "@/server/auth/permissions";
import { DirectoryError } from "@/server/directory/errors";
import { env } from "@/server/env";
import { clientIpFrom } from "@/server/http/client-ip";

export async function createContext(opts: { headers: Headers }) {
  const session = await getServerSession(authOptions);
  return {
    user: session?.user ?? null,
    ip: clientIpFrom(opts.headers.get("x-forwarded-for"), env.TRUSTED_PROXIES),
    userAgent: opts.headers.get("user-agent"),
  };
}
export type Context = Awaited<ReturnType<typeof createContext>>;

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      // Field errors as data, so forms can put each message under its field.
      data: { ...shape.data, fieldErrors: zod ? zod.flatten().fieldErrors : null },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Directory failures become clear, non-leaky tRPC errors instead of 500s. */
const directoryErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DirectoryError) {
    const d = result.error.cause;
    const code = d.kind === "not-found" ? "NOT_FOUND" : d.kind === "invalid-input" ? "BAD_REQUEST" : "SERVICE_UNAVAILABLE";
    throw new TRPCError({ code, message: d.message, cause: d });
  }
  return result;
});

export const publicProcedure = t.procedure.use(directoryErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  const user: SessionUser = ctx.user;
  const actor: AuditActor = { type: "user", id: user.id, name: user.username, ip: ctx.ip, userAgent: ctx.userAgent };
  return next({ ctx: { ...ctx, user, actor } });
});

/** A procedure that requires `action` on `subject` (the service checks again with the row). */
export function permittedProcedure(action: Action, subject: Subject) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!can(ctx.user, action, subject, { userId: ctx.user.id })) {
      throw new TRPCError({ code: "FORBIDDEN", message: `You may not ${action} ${subject.toLowerCase()}s.` });
    }
    return next();
  });
}

export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.isAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "Administrators only." });
  return next();
});
