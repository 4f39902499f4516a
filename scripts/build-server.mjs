/**
 * Compiles the production processes into dist/ (run by `npm run build` after `next build`):
 *   dist/web.js          server/http/serve.ts  (Next's production build in .next/ behind our HTTP server)
 *   dist/worker.js       worker/index.ts
 *   dist/ssh-gateway.js  scripts/ssh-gateway.ts
 *   dist/start.js        scripts/start.ts      (`npm start`: migrations, then web + worker)
 * Our own code is bundled (the `@/` paths resolved from tsconfig.json); npm packages stay
 * external and load from node_modules. Plain `node dist/….js` runs them: no tsx loader.
 * `node scripts/build-server.mjs [--only worker,web]` compiles some of them (the tests do).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
export const distDir = path.join(root, "dist");

const ENTRIES = {
  web: "server/http/serve.ts",
  worker: "worker/index.ts",
  "ssh-gateway": "scripts/ssh-gateway.ts",
  start: "scripts/start.ts",
};

/**
 * `import "server-only"` keeps server modules out of browser bundles; in these Node bundles it is
 * an empty module (as under Next's react-server layer), so no loader hook is needed at run time.
 */
const serverOnly = {
  name: "server-only",
  setup(b) {
    b.onResolve({ filter: /^server-only$/ }, () => ({ path: "server-only", namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

/**
 * A module that finds files next to itself (db/migrate.ts: `import.meta.dirname` + "migrations")
 * still finds them once bundled into dist/: its directory is rewritten relative to the bundle.
 */
const ownDirname = {
  name: "own-dirname",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const { readFile } = await import("node:fs/promises");
      const source = await readFile(args.path, "utf8");
      if (!source.includes("import.meta.dirname")) return { contents: source, loader: "ts" };
      const rel = path.relative(distDir, path.dirname(args.path)).split(path.sep).join("/");
      return { contents: source.replaceAll("import.meta.dirname", `__interimDir(${JSON.stringify(rel)})`), loader: "ts" };
    });
  },
};

export async function buildServer(only = Object.keys(ENTRIES)) {
  const entryPoints = Object.fromEntries(only.map((name) => [name, path.join(root, ENTRIES[name])]));
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir: distDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    packages: "external",
    tsconfig: path.join(root, "tsconfig.json"),
    plugins: [serverOnly, ownDirname],
    banner: {
      js: [
        'import { createRequire as __interimCreateRequire } from "node:module";',
        'import { resolve as __interimResolve } from "node:path";',
        "const require = __interimCreateRequire(import.meta.url);",
        "const __interimDir = (rel) => __interimResolve(import.meta.dirname, rel);",
      ].join("\n"),
    },
    logLevel: "warning",
  });
  // `npm start` compares this stamp with the sources (scripts/start.ts).
  writeFileSync(path.join(distDir, "BUILD"), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const i = process.argv.indexOf("--only");
  const only = i >= 0 ? process.argv[i + 1].split(",") : undefined;
  await buildServer(only);
  console.log(`[build] dist/: ${(only ?? Object.keys(ENTRIES)).join(", ")}`);
}
