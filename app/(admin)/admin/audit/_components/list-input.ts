/** Events per page of the trail: the server prefetch and the client ask for the same first page. */
export const AUDIT_PAGE_SIZE = 50;

export interface AuditListFilters {
  q?: string;
  action?: string;
  actor?: string;
  from?: Date;
  to?: Date;
}

/** GET /api/audit/export (server/http/audit-export.ts) for the filters the page shows. */
export function exportHref(format: "csv" | "jsonl", f: AuditListFilters): string {
  const params = new URLSearchParams({ format });
  if (f.q) params.set("q", f.q);
  if (f.action) params.set("action", f.action);
  if (f.actor) params.set("actor", f.actor);
  if (f.from) params.set("from", f.from.toISOString());
  if (f.to) params.set("to", f.to.toISOString());
  return `/api/audit/export?${params}`;
}
