import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Services are called by tRPC procedures, the worker and scripts alike: they throw the errors of
 * server/errors.ts, and only server/trpc/ (which maps them once) knows about tRPC's error class.
 * No ESLint rule for this: the test is the rule, and it names the files that break it.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVER = join(ROOT, "server");
const API_LAYER = `server${sep}trpc${sep}`;
const API_ERROR = /\bTRPCError\b/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Files (relative to the repository) outside server/trpc/ whose text imports or names the API's error class. */
function offenders(files: { path: string; text: string }[]): string[] {
  return files.filter((f) => !f.path.startsWith(API_LAYER) && API_ERROR.test(f.text)).map((f) => f.path.split(sep).join("/"));
}

describe("layers: domain errors", () => {
  it("finds a service that mentions the API's error class, and only outside server/trpc/", () => {
    const files = [
      { path: join("server", "grants", "service.ts"), text: 'import { TRPCError } from "@trpc/server";' },
      { path: join("server", "audit", "service.ts"), text: "// a TRPCError here would be wrong too" },
      { path: join("server", "trpc", "init.ts"), text: 'import { initTRPC, TRPCError } from "@trpc/server";' },
      { path: join("server", "catalog", "service.ts"), text: 'import { notFound } from "@/server/errors";\nthrow notFound("Gone.");' },
    ];
    expect(offenders(files)).toEqual(["server/grants/service.ts", "server/audit/service.ts"]);
  });

  it("no file under server/ outside server/trpc/ imports or mentions TRPCError", () => {
    const files = tsFiles(SERVER).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, "utf8") }));
    expect(files.length).toBeGreaterThan(50);
    const found = offenders(files);
    expect(found, `Throw the helpers of server/errors.ts instead of TRPCError in:\n  ${found.join("\n  ")}`).toEqual([]);
  });
});
