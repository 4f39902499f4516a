import "server-only";
import { InsufficientAccessError, InvalidCredentialsError, ResultCodeError } from "ldapts";

export type DirectoryErrorKind = "unreachable" | "invalid-credentials" | "insufficient-rights" | "not-found" | "invalid-input" | "other";

/** A directory failure with a message a person can act on (and no secret in it). */
export class DirectoryError extends Error {
  constructor(
    readonly kind: DirectoryErrorKind,
    message: string,
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DirectoryError";
  }
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"]);

export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  return /connection (timeout|closed|refused)|socket|timeout|Connection closed|ECONN|not connected/i.test(err.message);
}

/** Maps ldapts / socket errors onto DirectoryError; `what` says which operation failed. */
export function toDirectoryError(err: unknown, what: string): DirectoryError {
  if (err instanceof DirectoryError) return err;
  if (err instanceof InvalidCredentialsError) {
    return new DirectoryError("invalid-credentials", `${what}: the directory refused the credentials`, err.code, { cause: err });
  }
  if (err instanceof InsufficientAccessError) {
    return new DirectoryError("insufficient-rights", `${what}: the service account lacks the rights for this`, err.code, { cause: err });
  }
  if (err instanceof ResultCodeError) {
    if (err.code === 32) return new DirectoryError("not-found", `${what}: no such object`, err.code, { cause: err });
    return new DirectoryError("other", `${what}: directory error ${err.code} (${err.message})`, err.code, { cause: err });
  }
  if (isNetworkError(err)) {
    const detail = err instanceof Error ? err.message : String(err);
    return new DirectoryError("unreachable", `${what}: the directory is unreachable (${detail})`, undefined, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  if (/certificate|self.signed|altnames|CERT_/i.test(detail)) {
    return new DirectoryError("unreachable", `${what}: TLS to the directory failed (${detail}); check LDAP_CA_FILE and the host name`, undefined, {
      cause: err,
    });
  }
  return new DirectoryError("other", `${what}: ${detail}`, undefined, { cause: err });
}
