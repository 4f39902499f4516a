/**
 * `npm start`: the production build, web + worker on one machine. Compiled by `npm run build` into
 * dist/start.js and run with plain node. Uses DATABASE_URL when set (migrating it first with
 * DATABASE_OWNER_URL, or DATABASE_URL's role), else the embedded Postgres as `npm run dev` does —
 * without the demo seed. A crashed web or worker is restarted with a backoff; SIGTERM/SIGINT
 * drain both (each within 10 s) and stop the embedded Postgres.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { prepareStack, repoRoot } from "./lib/stack";
import { supervise, type Supervised } from "./lib/supervisor";

process.env.NEXT_TELEMETRY_DISABLED = "1";

/** The newest modification time under the source directories (what the build was made from). */
function newestSource(): { file: string; mtime: number } {
  let newest = { file: "", mtime: 0 };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|tsx|css|sql)$/.test(entry.name)) {
        const mtime = statSync(full).mtimeMs;
        if (mtime > newest.mtime) newest = { file: full, mtime };
      }
    }
  };
  for (const d of ["app", "components", "db", "server", "shared", "trpc", "worker", "proxy.ts"]) {
    const full = path.join(repoRoot, d);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) walk(full);
    else if (statSync(full).mtimeMs > newest.mtime) newest = { file: full, mtime: statSync(full).mtimeMs };
  }
  return newest;
}

function checkBuild() {
  const missing = ["dist/web.js", "dist/worker.js", "dist/BUILD", ".next/BUILD_ID"].filter((f) => !existsSync(path.join(repoRoot, f)));
  if (missing.length) {
    console.error(`[start] no production build (${missing.join(", ")} missing): run \`npm run build\` first.`);
    process.exit(1);
  }
  const built = Math.min(statSync(path.join(repoRoot, "dist/BUILD")).mtimeMs, statSync(path.join(repoRoot, ".next/BUILD_ID")).mtimeMs);
  const newest = newestSource();
  if (newest.mtime > built && !process.env.INTERIM_ALLOW_STALE_BUILD) {
    console.error(
      `[start] the build is older than the sources (${path.relative(repoRoot, newest.file)} changed after it): run \`npm run build\` again (or set INTERIM_ALLOW_STALE_BUILD=1).`,
    );
    process.exit(1);
  }
}

checkBuild();
const handle = await prepareStack(process.env.INTERIM_DB_NAME ?? "interim");
console.log("[start] database ready (migrations applied)");

const children: Supervised[] = [];
// The web's V8 heap is capped at 1 GB (its live heap is ~80 MB): with the default cap, sized from the
// machine's memory, V8 keeps hundreds of MB it no longer uses after a burst of calls (issue 15's
// memory budget; package.json `start:web` and deploy/systemd/interim-web.service say the same).
const node = (entry: string, flags: string[] = []) => [process.execPath, ["--enable-source-maps", ...flags, entry]] as const;
for (const [name, entry, flags] of [
  ["web", "dist/web.js", ["--max-old-space-size=1024"]],
  ["worker", "dist/worker.js", []],
] as const) {
  const [cmd, args] = node(entry, [...flags]);
  // The web and the worker never get the owner's credentials.
  const env = { ...process.env, DATABASE_OWNER_URL: undefined, NODE_ENV: "production" as const, INTERIM_PROCESS: `interim-${name}` };
  children.push(supervise(name, cmd, [...args], env, { cwd: repoRoot, log: (line) => console.log(line.replace("[supervisor]", "[start]")) }));
}

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((c) => c.stop()));
  await handle?.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
