import path from "node:path";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/*
 * The layers, bottom up: shared/ (schemas, types, env: imports none of ours) ← db/ ← server/ ←
 * worker/ and app/; components/ and trpc/ (the browser's tRPC client) sit beside app/ and below it.
 * A module imports only from its own layer or below; the zones below refuse every upward import.
 */
const LAYERS = ["./shared", "./db", "./server", "./worker", "./trpc", "./components", "./app"];
const above = (...layers) => LAYERS.filter((l) => !layers.includes(l));

/**
 * The server modules a "use client" module may take values from: zod schemas and pure rules that
 * forms share with the server (they import nothing with I/O). Everything else in server/ and db/
 * reaches the browser only as types; `import "server-only"` in env, db, the logger and the
 * directory connection makes the build fail if one slips through anyway.
 */
const CLIENT_SAFE_SERVER_MODULES = [/^server\/[\w-]+\/schemas$/, /^server\/access-groups\/policy\/[\w-]+$/, /^server\/directory\/ttl$/];

const interim = {
  rules: {
    "client-imports": {
      meta: {
        type: "problem",
        messages: {
          server:
            'A "use client" module takes only types from {{source}}: values from server/ and db/ would pull server code into the browser (schemas and pure rules are allowed: see CLIENT_SAFE_SERVER_MODULES).',
        },
        schema: [],
      },
      create(context) {
        let client = false;
        const root = context.cwd;
        /** The import's target as a path from the repository root ("server/env"), or null for packages. */
        const target = (source) => {
          if (source.startsWith("@/")) return source.slice(2);
          if (source.startsWith(".")) return path.relative(root, path.resolve(path.dirname(context.filename), source));
          return null;
        };
        const check = (node) => {
          if (!client || !node.source || node.importKind === "type" || node.exportKind === "type") return;
          const specifiers = node.specifiers ?? [];
          if (specifiers.length > 0 && specifiers.every((s) => s.importKind === "type" || s.exportKind === "type")) return;
          const to = target(String(node.source.value));
          if (!to || !/^(server|db)(\/|$)/.test(to)) return;
          if (CLIENT_SAFE_SERVER_MODULES.some((re) => re.test(to))) return;
          context.report({ node, messageId: "server", data: { source: String(node.source.value) } });
        };
        return {
          Program(program) {
            client = program.body.some((s) => s.type === "ExpressionStatement" && s.directive === "use client");
          },
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
        };
      },
    },
  },
};

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", "dist/**", "node_modules/**", ".data/**", "next-env.d.ts", "test-results/**", "playwright-report/**", "bench/results/**"],
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.{ts,tsx,mts,cts,js,mjs}"],
    plugins: { interim },
    rules: {
      // `import type` does not count: types vanish at runtime and make no cycle.
      "import/no-cycle": ["error", { ignoreExternal: true }],
      "import/no-restricted-paths": [
        "error",
        {
          zones: [
            {
              target: "./shared",
              from: above("./shared"),
              message: "shared/ is the bottom layer: it imports none of db/, server/, worker/, app/, components/, trpc/.",
            },
            { target: "./db", from: above("./shared", "./db"), message: "db/ imports only shared/ (move what it needs there)." },
            { target: "./server", from: above("./shared", "./db", "./server"), message: "server/ never imports the worker, the pages or the browser's code." },
            { target: "./worker", from: ["./app", "./components", "./trpc"], message: "The worker never imports the pages or the browser's code." },
            {
              target: "./trpc",
              from: ["./app", "./components", "./worker"],
              message: "trpc/ (the browser's client) never imports app/, components/ or the worker.",
            },
            { target: "./components", from: ["./app", "./worker"], message: "components/ never imports app/: move what both need to components/ or trpc/." },
          ],
        },
      ],
      "interim/client-imports": "error",
    },
  },
  {
    // One logger (server/logger.ts) for the web and the worker: JSON lines with the process and scope.
    files: ["server/**", "worker/**"],
    rules: { "no-console": "error" },
  },
  {
    files: ["server/**", "worker/**", "app/**", "components/**", "trpc/**"],
    rules: { "max-lines": ["error", { max: 400 }] },
  },
];

export default config;
