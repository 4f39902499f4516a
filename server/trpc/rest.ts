import "server-only";
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Logger } from "pino";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import { authenticateBearer, recordApiCall, type TokenPrincipal } from "@/server/api/tokens/authenticate";
import { forbidden, isDomainError } from "@/server/errors";
import { scoped } from "@/server/logger";
import { serviceErrorToTrpc } from "./service-errors";
import type { ApiScope } from "@/shared/api-scopes";

/*
 * The REST API's own tRPC instance (served only by server/http/rest.ts through trpc-to-openapi,
 * never by /api/trpc): no cookies, no transformer, OpenAPI metadata on every procedure. A call is
 * authenticated by its Bearer token alone, checked for its scope, and recorded (api.call).
 */

export interface RestContext {
  authorization: string | null;
  ip: string;
  userAgent: string | null;
  method: string;
  path: string;
  requestId: string;
  log: Logger;
}

class ReportedFailure extends Error {
  override readonly name = "ReportedFailure";
}

function reported(error: unknown, ctx: RestContext | undefined, path: string | undefined): TRPCError {
  const ref = ctx?.requestId ?? randomUUID();
  (ctx?.log ?? scoped("rest", { requestId: ref })).error({ path, ref, err: error }, "REST call failed");
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Something went wrong (ref ${ref})`, cause: new ReportedFailure(ref) });
}

function fieldErrorsOf(zod: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of zod.issues) (out[issue.path.length ? issue.path.map(String).join(".") : "_"] ??= []).push(issue.message);
  return out;
}

const t = initTRPC
  .context<RestContext>()
  .meta<OpenApiMeta>()
  .create({
    isDev: false,
    // The answer's body: { message, code, fieldErrors } (trpc-to-openapi adds zod's issues on 400s).
    errorFormatter({ error, ctx, path, shape }) {
      const unexpected = error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof ReportedFailure);
      return {
        message: unexpected ? reported(error.cause ?? error, ctx, path).message : shape.message,
        code: error.code,
        fieldErrors: error.cause instanceof ZodError ? fieldErrorsOf(error.cause) : null,
      };
    },
  });

export const createRestRouter = t.router;

const serviceErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  const mapped = serviceErrorToTrpc(result.error, { log: ctx.log, requestId: ctx.requestId, path });
  if (mapped) throw mapped;
  if (result.error.code === "INTERNAL_SERVER_ERROR" && !(result.error.cause instanceof ReportedFailure))
    throw reported(result.error.cause ?? result.error, ctx, path);
  return result;
});

/**
 * A valid token (server/api/tokens/authenticate.ts) and, after the call, its use recorded with
 * the outcome the caller got. Calls refused before a token was recognised are only logged.
 */
const tokenProcedure = t.procedure.use(serviceErrors).use(async ({ ctx, path, next }) => {
  const token: TokenPrincipal = await authenticateBearer(ctx.authorization, ctx.ip, ctx.userAgent);
  const result = await next({ ctx: { ...ctx, token, user: token.user, actor: token.actor } });
  const outcome = result.ok ? "ok" : isDomainError(result.error.cause) ? result.error.cause.code : result.error.code;
  await recordApiCall(token, { method: ctx.method, path: ctx.path, procedure: path, outcome });
  return result;
});

/** A token holding `scope`. The services authorize the creator again as for any caller. */
export function scopedProcedure(scope: ApiScope) {
  return tokenProcedure.use(({ ctx, next }) => {
    if (!ctx.token.scopes.includes(scope)) throw forbidden(`This API token lacks the scope "${scope}".`);
    return next();
  });
}
