import { CATALOG_REMOVED, CATALOG_SOURCES, type CatalogPageInput } from "@/server/catalog/schemas";

export const CATALOG_FILTERS = ["source", "removed"] as const;
export type CatalogFilter = (typeof CATALOG_FILTERS)[number];
export const CATALOG_PAGE_SIZE = 20;

/** Two lists on one page: each keeps its state under its own prefix (`?devices.q=sql&credentials.page=2`). */
export type CatalogKind = "devices" | "credentials";

export function catalogListOptions(kind: CatalogKind) {
  return { prefix: kind, filters: CATALOG_FILTERS, pageSize: CATALOG_PAGE_SIZE };
}

/** A list's address → catalog.<kind>.page's input, on the server (prefetch) and in the browser alike; values the server would refuse are dropped. */
export function catalogPageOf(list: { q: string; page: number; pageSize: number; filters: Partial<Record<CatalogFilter, string>> }): CatalogPageInput {
  return {
    q: list.q,
    page: list.page,
    pageSize: list.pageSize,
    source: CATALOG_SOURCES.find((v) => v === list.filters.source),
    removed: CATALOG_REMOVED.find((v) => v === list.filters.removed),
  };
}
