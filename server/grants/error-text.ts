import "server-only";
/** What to record of an error whose type we do not know (the grant's last_error, the audit). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(errorText(err)));
