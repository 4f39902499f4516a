import "server-only";
import { randomUUID } from "node:crypto";
import { DirectoryError } from "@/server/directory/errors";
import { isDomainError } from "@/server/errors";
import { scoped } from "@/server/logger";

/** What to record of an error whose type we do not know (the audit, the logs). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(errorText(err)));

/**
 * What a grant's `last_error` keeps (shown to the requester, admins, and sent in "failed"
 * notifications): a deliberate message (a DomainError's, a DirectoryError's template) as is; anything
 * else — SQL, a TypeError — as "internal error (ref …)", the error itself logged under that ref.
 */
export function recordedErrorText(err: unknown, grantId: string): string {
  if (isDomainError(err) || err instanceof DirectoryError) return err.message;
  const ref = randomUUID();
  scoped("grants", { grantId }).error({ ref, err }, "activation failed unexpectedly");
  return `internal error (ref ${ref})`;
}

/**
 * A stored error as a requester or an outside receiver sees it: the directory's own detail (in
 * parentheses: addresses, diagnostic text) stays with admins.
 */
export function requesterErrorText(stored: string | null): string | null {
  return stored === null ? null : stored.replace(/\s*\([^()]*(\([^()]*\)[^()]*)*\)/g, "").trim();
}
