/**
 * Heavy modules stay out of the first scripts of the phone pages (issue 15): from every "use client"
 * module (and instrumentation-client.ts), the static value imports — not `import type`, not
 * `import()` (next/dynamic loads those on demand) — must never reach luxon or the full zod. The
 * server formats dates and validates; the browser checks a form with plain functions
 * (app/signin/signin-check.ts, the inbox's decision-check.ts) or zod/mini.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
/** Packages a client module must not pull in: luxon, and zod's classic API ("zod", "zod/v4", the hookform resolver on it). */
const HEAVY = [/^luxon(\/|$)/, /^zod$/, /^zod\/v4$/, /^zod\/v3$/, /^@hookform\/resolvers\/zod$/];
/**
 * Exempt: the admin pages (desktop-first; their forms share the server's zod schemas) and the
 * request/extend forms of /roles, which next/dynamic loads only when a card's form opens.
 */
const EXEMPT = [/^app\/\(admin\)\//, /^app\/\(roles\)\/roles\/_components\/(request|extend)-form\.tsx$/];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Value imports of a module (`import x from`, `import "x"`, `export … from`), without type-only ones and without import(). */
export function valueImports(source: string): string[] {
  const out: string[] = [];
  const statements = [
    ...source.matchAll(/^\s*import\s+(type\s+)?(?:([^;"'`]*?)\s+from\s+)?["']([^"']+)["']/gm),
    ...source.matchAll(/^\s*export\s+(type\s+)?([^;"'`=]*?)\s+from\s+["']([^"']+)["']/gm),
  ].sort((x, y) => x.index - y.index);
  for (const [, typeOnly, clause = "", spec] of statements) {
    if (typeOnly) continue;
    // `{ type A, type B }` and nothing else: erased like `import type`.
    const names = /^\{([^}]*)\}$/.exec(clause.trim())?.[1];
    const list = names
      ?.split(",")
      .map((n) => n.trim())
      .filter(Boolean);
    if (list && list.length > 0 && list.every((n) => n.startsWith("type "))) continue;
    out.push(spec!);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = spec.startsWith("@/") ? path.join(root, spec.slice(2)) : spec.startsWith(".") ? path.resolve(path.dirname(from), spec) : null;
  if (!base) return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const isClient = (source: string) => /^\s*(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/\s*)*["']use client["']/.test(source);
const rel = (p: string) => path.relative(root, p);

/** For one entry, the chain of modules to the first heavy package it reaches, or null. */
function heavyChain(entry: string, heavy = HEAVY, seen = new Set<string>()): string[] | null {
  if (seen.has(entry)) return null;
  seen.add(entry);
  const imports = valueImports(readFileSync(entry, "utf8"));
  // A server-only module (trpc/server.tsx) never reaches the browser, whatever it imports.
  if (imports.includes("server-only")) return null;
  for (const spec of imports) {
    if (heavy.some((re) => re.test(spec))) return [rel(entry), spec];
    const next = resolveLocal(entry, spec);
    if (!next) continue;
    const chain = heavyChain(next, heavy, seen);
    if (chain) return [rel(entry), ...chain];
  }
  return null;
}

function clientEntries(): string[] {
  const files = ["app", "components", "trpc"].flatMap((d) => walk(path.join(root, d)));
  return [...files.filter((f) => isClient(readFileSync(f, "utf8"))), path.join(root, "instrumentation-client.ts")].filter(
    (f) => !EXEMPT.some((re) => re.test(rel(f))),
  );
}

/**
 * The inbox's first load (≤ 150 KB gzipped, issue 15) has room for the framework and little else:
 * its client modules call through trpc/call.ts, never React Query, the tRPC client or superjson
 * (the timeline brings those with its own chunk, loaded on opening). next/link and next/dynamic
 * stay out of it and out of what every page ships: the header and the root not-found boundary.
 */
const INBOX_HEAVY = [/^@tanstack\/react-query$/, /^@trpc\/(client|tanstack-react-query)$/, /^superjson$/, /^next\/(link|dynamic)$/, /^@\/trpc\/client$/];
const INBOX_FIRST_LOAD = [/^app\/\(inbox\)\//, /^components\/(site-header|app-frame)\.tsx$/, /^app\/not-found\.tsx$/];

function inboxEntries(): string[] {
  const files = ["app", "components"].flatMap((d) => walk(path.join(root, d)));
  return files.filter((f) => INBOX_FIRST_LOAD.some((re) => re.test(rel(f))));
}

describe("client bundles", () => {
  it("reads value imports the way the bundler follows them", () => {
    expect(valueImports('import { z } from "zod";\nimport type { X } from "luxon";\nimport { type A, type B } from "./a";\nimport "./side";')).toEqual([
      "zod",
      "./side",
    ]);
    expect(valueImports('export { x } from "./x";\nexport type { Y } from "./y";\nconst F = dynamic(() => import("./form"));')).toEqual(["./x"]);
    expect(valueImports('import { type A, b } from "./mixed";\nimport * as z from "zod/mini";')).toEqual(["./mixed", "zod/mini"]);
  });

  it("finds the client modules (sanity: the scan sees the pages it guards)", () => {
    const entries = clientEntries().map(rel);
    expect(entries).toEqual(expect.arrayContaining(["app/signin/signin-form.tsx", "app/(inbox)/inbox/_components/decision-form.tsx", "trpc/client.tsx"]));
  });

  it('no "use client" module reaches luxon or the full zod through its static imports', () => {
    const offenders = clientEntries()
      .map((entry) => heavyChain(entry))
      .filter((chain): chain is string[] => chain !== null)
      .map((chain) => chain.join(" → "));
    expect(offenders).toEqual([]);
  });

  it("the inbox's first load reaches neither React Query, the tRPC client, superjson, next/link nor next/dynamic", () => {
    const entries = inboxEntries();
    expect(entries.map(rel)).toEqual(expect.arrayContaining(["app/(inbox)/inbox/_components/decision-form.tsx", "components/site-header.tsx"]));
    // Server components too: a client module a layout or page imports ships with the route.
    const offenders = entries
      .map((entry) => heavyChain(entry, INBOX_HEAVY))
      .filter((chain): chain is string[] => chain !== null)
      .map((chain) => chain.join(" → "));
    expect(offenders).toEqual([]);
  });
});
