import { DEFAULT_PAGE_SIZE, MAX_PAGE } from "@/shared/page-bounds";

/*
 * How a list's state is read from the address: by the browser (use-list-state.ts) and by a
 * server page that prefetches the same query (the same input, so the same query key).
 */

export type ParamSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function getter(source: ParamSource) {
  if (typeof (source as { get?: unknown }).get === "function") return (k: string) => (source as { get(name: string): string | null }).get(k);
  return (k: string) => {
    const v = (source as Record<string, string | string[] | undefined>)[k];
    return (Array.isArray(v) ? v[0] : v) ?? null;
  };
}

export function paramName(prefix: string | undefined, name: string) {
  return prefix ? `${prefix}.${name}` : name;
}

export function readListParams<F extends string>(source: ParamSource, opts: { prefix?: string; filters?: readonly F[]; pageSize?: number } = {}) {
  const get = getter(source);
  const name = (k: string) => paramName(opts.prefix, k);
  const rawPage = Number(get(name("page")) ?? "1");
  const filters: Partial<Record<F, string>> = {};
  for (const f of opts.filters ?? []) {
    const v = get(name(f));
    if (v) filters[f] = v;
  }
  return {
    q: (get(name("q")) ?? "").trim().slice(0, 100),
    page: Number.isInteger(rawPage) && rawPage >= 1 ? Math.min(rawPage, MAX_PAGE) : 1,
    pageSize: opts.pageSize ?? DEFAULT_PAGE_SIZE,
    filters,
  };
}
