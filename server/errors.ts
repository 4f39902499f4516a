import "server-only";
/**
 * What a service says when it will not do something. Services are called by tRPC procedures, the
 * worker and scripts alike, so they throw these and never an error of the API layer; only
 * `server/trpc/init.ts` turns them into the tRPC code of `apiCodes`, with the same message the
 * person sees.
 *
 *   throw notFound("This privilege is not available for requests.");
 *   throw refused("usual-hours", "Requests for this privilege are only allowed on weekdays.");
 */
export type ErrorKind = "invalid" | "unauthenticated" | "forbidden" | "not-found" | "conflict" | "refused" | "unavailable";

/** The API's code for each kind (tRPC codes; `refused`: a policy rule said no to this person). */
export const apiCodes = {
  invalid: "BAD_REQUEST",
  unauthenticated: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  "not-found": "NOT_FOUND",
  conflict: "CONFLICT",
  refused: "FORBIDDEN",
  unavailable: "SERVICE_UNAVAILABLE",
} as const satisfies Record<ErrorKind, string>;

export type ApiCode = (typeof apiCodes)[ErrorKind];

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** `rule`: the policy rule that refused (e.g. "duration", "usual-hours"), for refusals and invalid input. */
    readonly details: { rule?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  /** The code the API answers with; tests and callers may match on it as on a tRPC error. */
  get code(): ApiCode {
    return apiCodes[this.kind];
  }

  get rule(): string | undefined {
    return this.details.rule;
  }
}

export const invalid = (message: string, rule?: string) => new DomainError("invalid", message, { rule });
export const unauthenticated = (message: string) => new DomainError("unauthenticated", message);
export const forbidden = (message: string) => new DomainError("forbidden", message);
export const notFound = (message: string) => new DomainError("not-found", message);
export const conflict = (message: string) => new DomainError("conflict", message);
export const refused = (rule: string, message: string) => new DomainError("refused", message, { rule });
export const unavailable = (message: string, cause?: unknown) => new DomainError("unavailable", message, { cause });

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
