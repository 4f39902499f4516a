import "server-only";
import { readFileSync } from "node:fs";
import { Client } from "ldapts";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";
import { timeLdap } from "@/server/ops/metrics";
import { DirectoryError, toDirectoryError } from "./errors";

let caCache: { file: string; ca: Buffer } | undefined;

function caBundle(): Buffer | undefined {
  const file = env.LDAP_CA_FILE;
  if (!file) return undefined;
  if (caCache?.file !== file) {
    try {
      caCache = { file, ca: readFileSync(file) };
    } catch (err) {
      throw new DirectoryError("other", `Cannot read LDAP_CA_FILE (${file}): ${(err as Error).message}`);
    }
  }
  return caCache.ca;
}

export function newClient(url: string): Client {
  const ca = caBundle();
  return new Client({
    url,
    timeout: env.LDAP_TIMEOUT_MS,
    connectTimeout: Math.min(env.LDAP_TIMEOUT_MS, 5_000),
    tlsOptions: ca ? { ca: [ca], minVersion: "TLSv1.2" } : { minVersion: "TLSv1.2" },
    strictDN: false,
  });
}

/**
 * Binds to the first reachable DC in LDAP_URL (or `urls`) with the given credentials. A refused
 * password is final (we never try it against the next DC: that would count twice towards lockout).
 */
export async function bindFirstReachable(
  dn: string,
  password: string,
  what: string,
  urls: readonly string[] = env.LDAP_URL,
): Promise<{ client: Client; url: string }> {
  if (!password) throw new DirectoryError("invalid-input", `${what}: empty password`);
  let last: DirectoryError | undefined;
  for (const url of urls) {
    const client = newClient(url);
    try {
      await timeLdap(
        url,
        "bind",
        () => client.bind(dn, password),
        (err) => toDirectoryError(err, what).kind,
      );
      return { client, url };
    } catch (err) {
      await client.unbind().catch(() => {});
      const mapped = toDirectoryError(err, what);
      if (mapped.kind !== "unreachable") throw mapped;
      last = mapped;
    }
  }
  throw last ?? new DirectoryError("unreachable", `${what}: no directory URL configured`);
}

const SERVICE_BIND_BACKOFF_MS = 5 * 60_000;

/**
 * One long-lived service-account connection per process, shared by concurrent operations
 * (LDAP multiplexes them by message id). Dropped and rebuilt after a network error. Without
 * `urls` it follows LDAP_URL; with them (one DC's URL) it talks to that DC only.
 */
/**
 * After AD refused the service password: no new bind before `until`, on ANY connection of this
 * process (the main one and the per-DC ones of replication checks), so N connections do not make
 * N failed binds towards the account's lockout.
 */
const globalForRefusal = globalThis as unknown as { interimBindRefusal?: { until: number } };
const refusal = (globalForRefusal.interimBindRefusal ??= { until: 0 });

export class ServiceConnection {
  private current: Promise<Client> | undefined;
  /** The DC the current connection is bound to (the metrics' `dc` label). */
  private boundUrl = "";

  constructor(private readonly urls?: readonly string[]) {}

  async client(): Promise<Client> {
    if (Date.now() < refusal.until) {
      throw new DirectoryError(
        "invalid-credentials",
        `The directory refused the service account (LDAP_BIND_DN); not retrying before ${new Date(refusal.until).toISOString()} so the account is not locked out. Fix LDAP_BIND_PASSWORD and restart.`,
      );
    }
    this.current ??= bindFirstReachable(env.LDAP_BIND_DN, env.LDAP_BIND_PASSWORD, "Service account bind", this.urls).then((r) => {
      this.boundUrl = r.url;
      return r.client;
    });
    try {
      return await this.current;
    } catch (err) {
      this.current = undefined;
      // Every sign-in, sweep and job would bind again with the same wrong password and lock the
      // service account within minutes: hold off, loudly, instead.
      if (err instanceof DirectoryError && err.kind === "invalid-credentials") {
        refusal.until = Date.now() + SERVICE_BIND_BACKOFF_MS;
        scoped("directory").error({ pausedMinutes: SERVICE_BIND_BACKOFF_MS / 60_000 }, `${err.message}: service binds paused`);
      }
      throw err;
    }
  }

  /** Runs `fn` with the bound client; one retry on a fresh connection if the old one died. */
  async run<T>(what: string, fn: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.client();
      try {
        return await timeLdap(
          this.boundUrl,
          "operation",
          () => fn(client),
          (err) => toDirectoryError(err, what).kind,
        );
      } catch (err) {
        const mapped = toDirectoryError(err, what);
        // A connection whose socket closed (a DC restarted) is reopened by ldapts on the next
        // operation, but unbound: AD answers 00002020 "without authentication". Bind again.
        if (attempt === 0 && lostBind(err)) {
          await this.reset({ keepRefusal: true });
          continue;
        }
        if (mapped.kind === "unreachable" && attempt === 0) {
          await this.reset({ keepRefusal: true });
          continue;
        }
        if (mapped.kind === "unreachable") await this.reset({ keepRefusal: true });
        throw mapped;
      }
    }
  }

  /** Drops the connection; unless told otherwise also the pause after a refused password (tests, restarts). */
  async reset(opts: { keepRefusal?: boolean } = {}) {
    const old = this.current;
    this.current = undefined;
    if (!opts.keepRefusal) refusal.until = 0;
    if (old) await old.then((c) => c.unbind()).catch(() => {});
  }
}

const globalForLdap = globalThis as unknown as { interimLdap?: ServiceConnection; interimDcLdap?: Map<string, ServiceConnection> };
export function serviceConnection(): ServiceConnection {
  globalForLdap.interimLdap ??= new ServiceConnection();
  return globalForLdap.interimLdap;
}

/** The service account's connection to one particular DC (replication checks read each DC). */
export function dcConnection(url: string): ServiceConnection {
  globalForLdap.interimDcLdap ??= new Map();
  let conn = globalForLdap.interimDcLdap.get(url);
  if (!conn) {
    conn = new ServiceConnection([url]);
    globalForLdap.interimDcLdap.set(url, conn);
  }
  return conn;
}

/** Closes every per-DC connection (worker shutdown, tests). */
export async function resetDcConnections() {
  const conns = [...(globalForLdap.interimDcLdap?.values() ?? [])];
  globalForLdap.interimDcLdap?.clear();
  await Promise.all(conns.map((c) => c.reset({ keepRefusal: true })));
}

/** An operation refused because the connection is not bound (ldapts reconnected it by itself after the DC dropped it). */
function lostBind(err: unknown): boolean {
  return err instanceof Error && /\b00002020\b|without authentication/i.test(err.message);
}
