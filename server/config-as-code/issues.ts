import type { z } from "zod";

/** One thing wrong with an imported document, at its place in it (`accessGroups[2].limits.validTo`). */
export interface ImportIssue {
  path: string;
  message: string;
}

export type Path = readonly (string | number | symbol)[];

/** `["accessGroups", 2, "limits"]` → `accessGroups[2].limits`. */
export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(document)";
}

/** Collects issues; a service schema's own paths are renamed to the document's (`privilegeIds` → `privileges`). */
export class Issues {
  readonly list: ImportIssue[] = [];

  add(path: Path, message: string) {
    this.list.push({ path: formatPath(path), message });
  }

  /** Parses with a service's schema; its issues are filed under `at`, their first key renamed by `rename`. */
  parse<T extends z.ZodType>(schema: T, value: unknown, at: Path, rename: Record<string, string | null> = {}): z.output<T> | null {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const [first, ...rest] = issue.path;
      const renamed = typeof first === "string" && first in rename ? rename[first] : first;
      const path = renamed === null ? rest : renamed === undefined ? issue.path : [renamed, ...rest];
      this.add([...at, ...path], issue.message);
    }
    return null;
  }

  get ok() {
    return this.list.length === 0;
  }
}

/** Stand-in ids for a service schema that wants uuids where the document names things: equal names, equal ids. */
export function placeholderIds(names: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return names.map((n) => {
    if (!seen.has(n)) seen.set(n, `00000000-0000-4000-8000-${String(seen.size + 1).padStart(12, "0")}`);
    return seen.get(n)!;
  });
}
