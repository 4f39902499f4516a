import "server-only";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";

/**
 * A refusal from a procedure chain run outside the tRPC endpoint (the audit export's gate), as an
 * HTTP status and code; null for anything unexpected (the caller logs it and answers 500).
 */
export function httpRefusalOf(err: unknown): { status: number; code: string; message: string } | null {
  if (!(err instanceof TRPCError) || err.code === "INTERNAL_SERVER_ERROR") return null;
  return { status: getHTTPStatusCodeFromError(err), code: err.code, message: err.message };
}
