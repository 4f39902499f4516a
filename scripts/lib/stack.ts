import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { APP_ROLE, ensureAppRole, ensureDatabase, ensureEmbeddedPostgres, type EmbeddedHandle } from "../../db/embedded";
import { migrateDatabase } from "../../db/migrate";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const dataDir = path.join(repoRoot, ".data");

/** Reads KEY=value lines (as written by scripts/ad-up.sh); values may be single/double quoted. */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

/**
 * Fills process.env for the local stack: the local AD's settings (unless LDAP_URL points at a
 * real directory), a persistent NEXTAUTH_SECRET, and DATABASE_URL (embedded Postgres unless set:
 * then also DATABASE_OWNER_URL, the role migrations and test clean-ups use).
 * Returns the embedded cluster handle when this process started it.
 */
export async function prepareStack(database: string, opts: { fresh?: boolean; cluster?: string } = {}): Promise<EmbeddedHandle | undefined> {
  mkdirSync(dataDir, { recursive: true });
  const adEnvFile = path.join(dataDir, "samba", "env");
  if (!process.env.LDAP_URL) {
    // Without either, commands that need the directory fail on env validation with a clear message.
    if (existsSync(adEnvFile)) for (const [k, v] of Object.entries(readEnvFile(adEnvFile))) process.env[k] ??= v;
    else console.warn("[stack] LDAP_URL is not set and the local AD is not provisioned (scripts/ad-up.sh).");
  }
  if (!process.env.NEXTAUTH_SECRET) {
    const secretFile = path.join(dataDir, "nextauth-secret");
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
    process.env.NEXTAUTH_SECRET = readFileSync(secretFile, "utf8").trim();
  }
  if (!process.env.AUDIT_SIGNING_KEY && !process.env.AUDIT_SIGNING_KEY_FILE) {
    // The audit checkpoints' Ed25519 key (server/audit/checkpoints-key.ts), its public half beside it for `audit:verify --public-key`.
    const keyFile = path.join(dataDir, "audit-signing-key.pem");
    if (!existsSync(keyFile)) {
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
      writeFileSync(keyFile.replace(/\.pem$/, ".pub.pem"), publicKey.export({ type: "spki", format: "pem" }));
    }
    process.env.AUDIT_SIGNING_KEY_FILE = keyFile;
  }
  let handle: EmbeddedHandle | undefined;
  if (!process.env.DATABASE_URL) {
    // Separate clusters for the app, the tests and the bench, so one stopping never pulls the
    // database from under another that happens to run at the same time.
    const cluster = opts.cluster ?? "dev";
    const offsets: Record<string, number> = { dev: 0, test: 1, bench: 2 };
    const port = Number(process.env.INTERIM_PG_PORT ?? 54329 + (offsets[cluster] ?? 0));
    handle = await ensureEmbeddedPostgres(path.join(dataDir, cluster === "dev" ? "pg" : `pg-${cluster}`), port);
    await ensureDatabase(handle.baseUrl, database, opts.fresh);
    if (!process.env.AUDIT_CHECKPOINT_FILE) {
      // One checkpoint file per embedded database, gone with it on --fresh (checkpoints of a dropped database would fail audit:verify).
      const file = path.join(dataDir, "audit-checkpoints", `${cluster}-${database}.jsonl`);
      if (opts.fresh) rmSync(file, { force: true });
      process.env.AUDIT_CHECKPOINT_FILE = file;
    }
    // Two roles, as in production: the cluster's superuser owns the schema and runs migrations;
    // the web, the worker and the tests' own code log in as the app role (README, Production).
    const appPassword = await ensureAppRole(handle.baseUrl);
    process.env.DATABASE_OWNER_URL = `${handle.baseUrl}/${database}`;
    process.env.DATABASE_URL = `postgres://${APP_ROLE}:${appPassword}@127.0.0.1:${port}/${database}`;
  }
  await migrateDatabase(process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL, process.env.DATABASE_URL);
  return handle;
}
