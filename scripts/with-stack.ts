/**
 * Runs a command with the local stack ready: `tsx scripts/with-stack.ts [--db NAME] [--cluster dev|test|bench] [--fresh] -- cmd …`.
 * Starts the embedded Postgres when DATABASE_URL is unset, migrates, loads the local AD's
 * settings, runs the command and stops what it started.
 */
import { spawn } from "node:child_process";
import { prepareStack } from "./lib/stack";

const args = process.argv.slice(2);
const sep = args.indexOf("--");
const opts = sep >= 0 ? args.slice(0, sep) : [];
const command = sep >= 0 ? args.slice(sep + 1) : args;
const dbIndex = opts.indexOf("--db");
const database = dbIndex >= 0 ? opts[dbIndex + 1]! : "interim";
const clusterIndex = opts.indexOf("--cluster");
const cluster = clusterIndex >= 0 ? opts[clusterIndex + 1]! : "dev";
if (command.length === 0) {
  console.error("usage: tsx scripts/with-stack.ts [--db NAME] [--cluster dev|test|bench] [--fresh] -- command [args…]");
  process.exit(2);
}

const handle = await prepareStack(database, { fresh: opts.includes("--fresh"), cluster });
const child = spawn(command[0]!, command.slice(1), { stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
const code: number = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
await handle?.stop();
process.exit(code);
