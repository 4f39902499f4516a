import "server-only";
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Logger } from "pino";
import { ZodError } from "zod";
import type { AuditActor } from "@/server/audit/events";
import { confirmAccount, confirmSession } from "@/server/auth/sessions";
import { sessionOfCookieHeader } from "@/server/auth/session-token";
import { currentAdminStatus } from "@/server/auth/signin";
import type { SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { clientIpFrom } from "@/server/http/client-ip";
import { scoped } from "@/server/logger";
import { serviceErrorToTrpc } from "./service-errors";
import { transformer } from "./transformer";

export interface Context {
  user: SessionUser | null;
  /** The server-side session (user_sessions.id); createContext always sets it with a user (tests' hand-made contexts may not). */
  sessionId?: string | null;
  /** The browser says nobody touched the page for a minute (a poll, not a person): it does not keep the session from going idle. */
  background?: boolean;
  ip: string;
  userAgent: string | null;
  requestId: string;
  log: Logger;
}

/** Sent by trpc/client.tsx on calls made while nobody has used the page for a minute (polls of an unattended tab). */
export const BACKGROUND_HEADER = "x-interim-background";

/**
 * The context of one call: the session its cookie names (confirmed by authedProcedure, not here),
 * where it comes from. `headers` are the request's: a fetch Headers (the server-side prefetch) or the
 * Node request's, read through server/http/trpc.ts.
 */
export async function createContext(opts: { headers: Pick<Headers, "get"> }): Promise<Context> {
  const session = await sessionOfCookieHeader(opts.headers.get("cookie"));
  const requestId: string = randomUUID();
  return {
    user: session?.user ?? null,
    sessionId: session?.sessionId ?? null,
    background: opts.headers.get(BACKGROUND_HEADER) === "1",
    ip: clientIpFrom(opts.headers.get("x-forwarded-for"), env.TRUSTED_PROXIES),
    userAgent: opts.headers.get("user-agent"),
    requestId,
    /** This call's logger: every line it writes carries the request id and who called. */
    log: scoped("trpc", { requestId, user: session?.user?.username ?? null }),
  };
}

const t = initTRPC.context<Context>().create({
  transformer,
  // tRPC's default (NODE_ENV not "production") would send stacks from test and staging too.
  isDev: process.env.NODE_ENV === "development",
  errorFormatter({ shape, error, ctx, path }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const { stack, ...data } = shape.data;
    // A failure outside any procedure (the context, the request's parsing) skips `domainErrors`.
    const message =
      error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof ReportedFailure) ? reportFailure(error, ctx, path).message : shape.message;
    return {
      ...shape,
      message,
      // Field errors as data, so forms can put each message under its field.
      data: { ...data, ...(process.env.NODE_ENV === "development" && stack ? { stack } : {}), fieldErrors: zod ? fieldErrorsOf(zod) : null },
    };
  },
});

/** What the client gets instead of an unexpected error: a reference to the log line, nothing of the error itself. */
class ReportedFailure extends Error {
  override readonly name = "ReportedFailure";
}

/**
 * Logs an unexpected error (SQL, parameters, stack) under this call's request id and returns the
 * error the client sees: "Something went wrong (ref <requestId>)".
 */
function reportFailure(error: unknown, ctx: Context | undefined, path: string | undefined): TRPCError {
  const ref = ctx?.requestId ?? randomUUID();
  const log = ctx?.log ?? scoped("trpc", { requestId: ref });
  const cause = error instanceof TRPCError && error.code === "INTERNAL_SERVER_ERROR" && error.cause ? error.cause : error;
  log.error({ path, ref, err: cause }, "procedure failed");
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Something went wrong (ref ${ref})`, cause: new ReportedFailure(ref) });
}

/**
 * Messages by field: under the top-level key (what flat forms read) and, for nested fields, also
 * under the full dotted path ("locations.allowed.0.country"), so a nested form can place them.
 */
function fieldErrorsOf(zod: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (key: string, message: string) => (out[key] ??= []).push(message);
  for (const issue of zod.issues) {
    if (issue.path.length === 0) continue;
    const path = issue.path.map(String);
    add(path[0]!, issue.message);
    if (path.length > 1) add(path.join("."), issue.message);
  }
  return out;
}

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * The one place services' errors become tRPC errors: a DomainError keeps its message under the
 * code of its kind (server/errors.ts); directory failures become clear, non-leaky errors instead
 * of 500s; a deliberate TRPCError (a refusal, zod's BAD_REQUEST) passes as it is. Anything else —
 * a failed query, a bug — is logged with the request id and reaches the client as
 * "Something went wrong (ref …)", never its text.
 */
const domainErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  const mapped = result.ok ? null : serviceErrorToTrpc(result.error, { log: ctx.log, requestId: ctx.requestId, path });
  if (mapped) throw mapped;
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && !(result.error.cause instanceof ReportedFailure)) {
    throw reportFailure(result.error, ctx, path);
  }
  return result;
});

export const publicProcedure = t.procedure.use(domainErrors);

/**
 * A signed-in person whose session still holds (not ended, idle or past its lifetime) and whose AD
 * account is still usable (read at most once a minute per user): server/auth/sessions.ts.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  if (ctx.sessionId === undefined) await confirmAccount(ctx.user.id);
  else await confirmSession(ctx.user.id, ctx.sessionId, { touch: ctx.background !== true });
  // isAdmin from the token is only a hint; adminProcedure confirms it.
  const user: SessionUser = { ...ctx.user, isAdmin: false };
  const actor: AuditActor = { type: "user", id: user.id, name: user.username, ip: ctx.ip, userAgent: ctx.userAgent };
  return next({ ctx: { ...ctx, user, actor } });
});

/** Admin rights are re-read from AD every few minutes, not trusted from the session token. */
export const adminProcedure = authedProcedure.use(async ({ ctx, next }) => {
  const isAdmin = await currentAdminStatus(ctx.user.id);
  if (!isAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "Administrators only." });
  return next({ ctx: { ...ctx, user: { ...ctx.user, isAdmin: true } } });
});
