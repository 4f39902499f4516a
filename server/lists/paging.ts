import "server-only";
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { z } from "zod";
import { DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, type Page } from "@/shared/paging";

/** The rows to read: page size clamped to MAX_PAGE_SIZE whatever the caller asked for. */
export function pageWindow(input: { page?: number; pageSize?: number }) {
  const pageSize = Math.min(Math.max(Math.trunc(input.pageSize ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
  const page = Math.min(Math.max(Math.trunc(input.page ?? 1), 1), MAX_PAGE);
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/** `%text%` for ILIKE, with the pattern's own metacharacters taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[%_\\]/g, "\\$&")}%`;
}

/** Any of `columns` contains `q` (ignoring case); undefined for an empty search. */
export function matchesText(q: string | undefined, columns: (SQLWrapper | SQL)[]): SQL | undefined {
  const text = q?.trim();
  if (!text) return undefined;
  const pattern = containsPattern(text);
  return sql`(${sql.join(
    columns.map((c) => sql`${c} ilike ${pattern}`),
    sql` or `,
  )})`;
}

/** `count(*) over ()` next to each row: the total without a second query. */
export const totalOver = sql<number>`(count(*) over ())::int`;

/** Rows that carry `total` (from `totalOver`) → a Page. An empty page past the end still needs the total: `countAll` asks for it. */
export async function toPage<T extends { total: number }>(
  rows: T[],
  window: { page: number; pageSize: number },
  countAll: () => Promise<number>,
): Promise<Page<Omit<T, "total">>> {
  const total = rows[0]?.total ?? (window.page > 1 ? await countAll() : 0);
  return { items: rows.map(({ total: _, ...row }) => row), total, page: window.page, pageSize: window.pageSize };
}

/**
 * A list input parsed again in the service, with page and page size clamped first: a caller
 * without tRPC (a script, a test) asking for 10,000 rows gets MAX_PAGE_SIZE, not an error.
 */
export function parsePage<S extends z.ZodType<{ page: number; pageSize: number }>>(schema: S, raw: unknown): z.output<S> & { limit: number; offset: number } {
  const given = (raw ?? {}) as { page?: number; pageSize?: number };
  const window = pageWindow(given);
  const parsed = schema.parse({ ...given, page: window.page, pageSize: window.pageSize });
  return { ...parsed, limit: window.limit, offset: window.offset };
}
