import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { probeDirectory } from "./directory-probe";
import { HEARTBEAT_FRESH_SECONDS } from "./heartbeat";
import { BUILD_JOURNAL, missingMigrations } from "./migrations";

export type CheckName = "database" | "migrations" | "directory" | "worker";
export interface FailedCheck {
  check: CheckName;
  /** A fixed phrase and counts: never a message from a driver, a host name, a secret or a stack. */
  reason: string;
}

export interface Readiness {
  ready: boolean;
  failing: FailedCheck[];
}

const QUERY_TIMEOUT_MS = 3_000;

/** Options for tests: another journal, other DC URLs. */
export interface ReadinessOptions {
  journal?: typeof BUILD_JOURNAL;
  ldapUrls?: readonly string[];
}

/**
 * Whether this node should receive traffic: the database answers, every migration of this build is
 * applied, a DC answers the service account, and some worker wrote a heartbeat within a minute
 * (without one nothing is granted or removed). Checks run in parallel; each failing one says why.
 */
export async function readiness(opts: ReadinessOptions = {}): Promise<Readiness> {
  const checks: [CheckName, () => Promise<string | null>][] = [
    ["database", checkDatabase],
    ["migrations", () => checkMigrations(opts.journal)],
    ["directory", () => checkDirectory(opts.ldapUrls)],
    ["worker", checkWorker],
  ];
  const results = await Promise.all(
    checks.map(async ([check, run]) => {
      const reason = await withTimeout(run()).catch(() => `${check} check failed`);
      return reason ? { check, reason } : null;
    }),
  );
  const failing = results.filter((r): r is FailedCheck => r !== null);
  return { ready: failing.length === 0, failing };
}

async function checkDatabase(): Promise<string | null> {
  await db.execute(sql`select 1`).catch(() => {
    throw new Error();
  });
  return null;
}

async function checkMigrations(journal = BUILD_JOURNAL): Promise<string | null> {
  const missing = await missingMigrations(db, journal);
  return missing.length ? `${missing.length} migration(s) of this build not applied: ${missing.slice(0, 5).join(", ")}` : null;
}

async function checkDirectory(urls?: readonly string[]): Promise<string | null> {
  const probe = await probeDirectory(urls);
  if (probe.reachable > 0) return null;
  if (probe.tried === 0) return "no directory URL configured";
  return `no domain controller answered (${probe.tried} tried: ${[...new Set(probe.failures)].join(", ")})`;
}

async function checkWorker(): Promise<string | null> {
  const [row] = await db.execute<{ age: number | null }>(sql`select extract(epoch from now() - max(last_seen_at))::float8 as age from worker_heartbeats`);
  const age = row?.age;
  if (age === null || age === undefined) return "no worker has written a heartbeat";
  return age > HEARTBEAT_FRESH_SECONDS ? `no worker heartbeat in the last ${HEARTBEAT_FRESH_SECONDS} s (newest ${Math.round(age)} s old)` : null;
}

function withTimeout(p: Promise<string | null>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${QUERY_TIMEOUT_MS / 1000} s`), QUERY_TIMEOUT_MS + 500);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
