import "server-only";
import { TRPCError } from "@trpc/server";
import type { Logger } from "pino";
import { DirectoryError } from "@/server/directory/errors";
import { DomainError } from "@/server/errors";

/**
 * A service's error as the API says it (the tRPC endpoint and the REST API alike): a DomainError
 * keeps its message under the code of its kind (server/errors.ts); directory failures become
 * clear, non-leaky errors instead of 500s. Null: not a service error (the caller decides).
 */
export function serviceErrorToTrpc(error: TRPCError, call: { log: Logger; requestId: string; path: string | undefined }): TRPCError | null {
  if (error.cause instanceof DomainError) {
    const e = error.cause;
    return new TRPCError({ code: e.code, message: e.message, cause: e });
  }
  if (error.cause instanceof DirectoryError) {
    const d = error.cause;
    const code = d.kind === "not-found" ? "NOT_FOUND" : d.kind === "invalid-input" ? "BAD_REQUEST" : "SERVICE_UNAVAILABLE";
    if (d.kind !== "unreachable" && d.kind !== "other") return new TRPCError({ code, message: d.message, cause: d });
    // The DC's own words (addresses, diagnostics) go to the log under the call's ref, not to the caller.
    call.log.warn({ path: call.path, ref: call.requestId, err: d }, "directory failed");
    const what = d.kind === "unreachable" ? "The directory cannot be reached right now; try again shortly" : "The directory refused the operation";
    return new TRPCError({ code, message: `${what} (ref ${call.requestId})`, cause: d });
  }
  return null;
}
