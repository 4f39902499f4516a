import "server-only";
import { dcConnection } from "@/server/directory/connection";
import { DirectoryError } from "@/server/directory/errors";
import { env } from "@/server/env";

/** A probe's answer is reused this long: readiness may be polled often, by anyone. */
export const PROBE_CACHE_MS = 5_000;
const PROBE_TIMEOUT_MS = 3_000;

export interface DirectoryProbe {
  reachable: number;
  tried: number;
  /** Why the DCs that did not answer failed (kinds only: no host names, no messages). */
  failures: string[];
}

let cache: { key: string; at: number; result: Promise<DirectoryProbe> } | undefined;

/**
 * Whether the service account can read each DC's rootDSE (its own connection per DC, so one dead DC
 * does not hide behind another, and the refusal pause after a wrong password holds: no probe adds a
 * failed bind). Cached for a few seconds and shared by concurrent callers.
 */
export function probeDirectory(urls: readonly string[] = env.LDAP_URL): Promise<DirectoryProbe> {
  const key = urls.join(",");
  if (!cache || cache.key !== key || Date.now() - cache.at > PROBE_CACHE_MS) cache = { key, at: Date.now(), result: probe(urls) };
  return cache.result;
}

async function probe(urls: readonly string[]): Promise<DirectoryProbe> {
  const outcomes = await Promise.all(urls.map((url) => withTimeout(readRootDse(url)).then(() => null, kindOf)));
  const failures = outcomes.filter((o): o is string => o !== null);
  return { reachable: urls.length - failures.length, tried: urls.length, failures };
}

function readRootDse(url: string) {
  return dcConnection(url).run("Health probe", async (c) => {
    const { searchEntries } = await c.search("", { scope: "base", filter: "(objectClass=*)", attributes: ["currentTime"] });
    if (!searchEntries[0]) throw new DirectoryError("other", "no rootDSE");
  });
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DirectoryError("unreachable", "no answer in time")), PROBE_TIMEOUT_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const kindOf = (err: unknown): string => (err instanceof DirectoryError ? err.kind : "other");
