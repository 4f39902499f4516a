/**
 * `npm run dev`: embedded Postgres (unless DATABASE_URL), migrations, demo seed, then the web
 * app and the worker side by side. A web or worker that crashes is restarted with a backoff
 * (scripts/lib/supervisor.ts); Ctrl-C stops everything it started.
 */
import path from "node:path";
import { prepareStack, repoRoot } from "./lib/stack";
import { supervise, type Supervised } from "./lib/supervisor";

const port = (process.env.PORT ??= "3000");
const handle = await prepareStack(process.env.INTERIM_DB_NAME ?? "interim");
process.env.NEXTAUTH_URL ??= `http://localhost:${port}`;

process.env.APP_URL ??= `http://localhost:${port}`;
// The demo's SSH gateway (recorded sessions through a native ssh client): `ssh -p 2022 alice#<session>@localhost`.
process.env.INTERIM_SSH_GATEWAY_PORT ??= "2022";
// No mail server configured: a local sink receives every notification (nothing leaves the machine).
if (!process.env.SMTP_URL) {
  const { startMailSink } = await import("./lib/mail-sink");
  const dir = path.join(repoRoot, ".data", "mail");
  const sink = await startMailSink(dir, Number(process.env.MAIL_SINK_PORT ?? 2525));
  process.env.SMTP_URL = sink.url;
  console.log(`[dev] notifications are mailed to a local sink (${sink.url}); each mail is saved in ${path.relative(repoRoot, dir)}/`);
}

const { seedDemo } = await import("./seed-demo");
const added = await seedDemo();
console.log(`[dev] database ready (${added} demo privilege(s) published)`);

const children: Supervised[] = [];
function start(name: string, cmd: string, args: string[]) {
  const env = { ...process.env, DATABASE_OWNER_URL: undefined, INTERIM_PROCESS: `interim-${name}` };
  children.push(supervise(name, cmd, args, env, { cwd: repoRoot, log: (line) => console.log(line.replace("[supervisor]", "[dev]")) }));
}

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((c) => c.stop()));
  await handle?.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

// Node with tsx's loader directly, not through npx: npx does not pass SIGTERM on to its child.
start("web", process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "server/http/serve.ts", "--dev"]);
start("worker", process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "worker/index.ts"]);
console.log(`[dev] Interim on http://localhost:${port} — sign in as alice / carol (see README for passwords)`);
