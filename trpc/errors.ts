/**
 * What a failed call says, for both tRPC clients: @trpc/client's TRPCClientError and trpc/call.ts's
 * CallError carry the server's error shape as `data` (server/trpc/init.ts's errorFormatter). Kept
 * apart from trpc/client.tsx so a page that does not load the full client can still use them.
 */
type ErrorData = { code?: string; fieldErrors?: Record<string, string[] | undefined> | null };

function dataOf(err: unknown): ErrorData | undefined {
  if (!(err instanceof Error) || !("data" in err)) return undefined;
  const data = (err as { data?: unknown }).data;
  return typeof data === "object" && data !== null ? (data as ErrorData) : undefined;
}

/** The tRPC error code of a failed call ("CONFLICT", "NOT_FOUND", …), if the server sent one. */
export function errorCode(err: unknown): string | undefined {
  return dataOf(err)?.code;
}

/** The message to show a person for a failed call, plus zod's per-field messages if any. */
export function describeError(err: unknown): { message: string; fieldErrors: Record<string, string[] | undefined> | null } {
  const fieldErrors = dataOf(err)?.fieldErrors ?? null;
  if (fieldErrors) {
    const first = Object.values(fieldErrors).flat().find(Boolean);
    return { message: first ?? "Check the highlighted fields.", fieldErrors };
  }
  return { message: err instanceof Error ? err.message : "Something went wrong.", fieldErrors: null };
}
