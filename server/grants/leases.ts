import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { env } from "@/server/env";

/*
 * The grant leases this process holds right now (their claim tokens): activation's claim
 * (activate.ts) and the expiry sweep's (sweep.ts). A worker that stops on SIGTERM hands them back
 * (releaseHeldLeases) so another worker retakes those grants at once instead of after
 * GRANT_LEASE_SECONDS. The grants keep their state (provisioning / expiring): only the lease is
 * made lapsed, which every claim already knows how to retake; a late write of this process is
 * fenced off by the token the next claim replaces.
 */

const held = new Set<string>();

export function holdLease(token: string): string {
  held.add(token);
  return token;
}

export function dropLease(token: string) {
  held.delete(token);
}

/** Makes every lease this process still holds lapse now; returns how many grants it released. */
export async function releaseHeldLeases(): Promise<number> {
  if (held.size === 0) return 0;
  const tokens = [...held];
  const released = await db.execute(sql`
    update grants set claimed_at = now() - make_interval(secs => ${env.GRANT_LEASE_SECONDS + 1}), updated_at = now()
    where claim_token = any(${`{${tokens.join(",")}}`}::uuid[]) and state in ('provisioning', 'expiring')`);
  for (const t of tokens) held.delete(t);
  return released.count ?? 0;
}
