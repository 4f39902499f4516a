import { fileURLToPath } from "node:url";
import tsconfigPaths from "vite-tsconfig-paths";
import { defineConfig } from "vitest/config";

// Tests run server code outside Next: `import "server-only"` resolves to the package's own empty
// module, as under Next's react-server layer (its default entry throws). Projects do not inherit
// the root config, so each one repeats it.
const resolve = { alias: { "server-only": fileURLToPath(new URL("./node_modules/server-only/empty.js", import.meta.url)) } };

export default defineConfig({
  plugins: [tsconfigPaths()],
  resolve,
  test: {
    projects: [
      {
        plugins: [tsconfigPaths()],
        resolve,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [tsconfigPaths()],
        resolve,
        test: {
          // The scripts' own logic against this machine's kernel, in network/mount namespaces of
          // their own (`unshare -n -m`): needs root, not the stack.
          name: "system",
          include: ["tests/system/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        plugins: [tsconfigPaths()],
        resolve,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          // One real directory and one database: files run one after another.
          // Not isolated: the db pool and the LDAP connection are per-process singletons, and
          // error classes must be the same across files for instanceof checks.
          pool: "forks",
          poolOptions: { forks: { singleFork: true, isolate: false } },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ["tests/integration/global-setup.ts"],
        },
      },
      {
        plugins: [tsconfigPaths()],
        resolve,
        test: {
          // Two DCs (scripts/ad-dc2.sh joins the second for the run and removes it after): not part of
          // a plain `vitest run --project unit --project integration`, which keeps a single-DC domain.
          name: "replication",
          include: ["tests/replication/**/*.test.ts"],
          environment: "node",
          pool: "forks",
          poolOptions: { forks: { singleFork: true, isolate: false } },
          testTimeout: 90_000,
          hookTimeout: 120_000,
          globalSetup: ["tests/replication/global-setup.ts"],
        },
      },
      {
        plugins: [tsconfigPaths()],
        resolve,
        test: {
          // Proof under faults: minutes of a real worker being killed and the DC restarted (scripts/test.sh runs it on its own).
          name: "fault",
          include: ["tests/fault/**/*.test.ts"],
          environment: "node",
          pool: "forks",
          poolOptions: { forks: { singleFork: true, isolate: false } },
          testTimeout: 600_000,
          hookTimeout: 300_000,
          globalSetup: ["tests/integration/global-setup.ts"],
        },
      },
    ],
  },
});
