import "server-only";
import { and, eq, gte, lte, sql, type SQL } from "drizzle-orm";
import { auditEvents, auditSearchDocument } from "@/db/schema";
import { containsPattern } from "@/server/lists/paging";
import { namedTargetIds } from "./names";

/** The trail's filters, shared by the page (audit.list) and the export (server/http/audit-export.ts). */
export interface AuditFilter {
  q?: string;
  action?: string;
  actor?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

/**
 * The words of a search as a tsquery string: each whitespace-separated term is a phrase of its
 * letter-and-digit runs (`drift.settings` → `drift <-> settings`, as the document was cut: see
 * auditSearchDocument), every word a prefix, the terms AND-ed. Only letters and digits reach
 * to_tsquery, so no input is tsquery syntax. Undefined when nothing searchable is left.
 */
export function searchQuery(q: string | undefined): string | undefined {
  const terms = (q ?? "")
    .split(/\s+/)
    .map((term) => term.split(/[^\p{L}\p{N}]+/u).filter(Boolean))
    .filter((words) => words.length > 0)
    .map((words) => words.map((w) => `${w.toLowerCase()}:*`).join(" <-> "));
  return terms.length ? terms.map((t) => `(${t})`).join(" & ") : undefined;
}

/**
 * Free text: the GIN-indexed document (action, actor, target type and id, data), or a target whose
 * current name contains the text (a privilege, an access group, a person … : names.ts).
 */
function textFilter(q: string | undefined): SQL | undefined {
  const text = q?.trim();
  if (!text) return undefined;
  const query = searchQuery(text);
  const byName = sql`${auditEvents.targetId} = any(${namedTargetIds(containsPattern(text))})`;
  if (!query) return byName;
  return sql`(${auditSearchDocument(auditEvents)} @@ to_tsquery('simple'::regconfig, ${query}) or ${byName})`;
}

export function auditWhere(f: AuditFilter): SQL | undefined {
  const where: (SQL | undefined)[] = [
    f.action ? eq(auditEvents.action, f.action) : undefined,
    textFilter(f.q),
    f.actor ? sql`${auditEvents.actorName} ilike ${containsPattern(f.actor)}` : undefined,
    f.targetId ? eq(auditEvents.targetId, f.targetId) : undefined,
    f.from ? gte(auditEvents.at, f.from) : undefined,
    f.to ? lte(auditEvents.at, f.to) : undefined,
  ];
  return and(...where.filter((w): w is SQL => w !== undefined));
}
