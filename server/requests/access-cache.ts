import "server-only";
import { env } from "@/server/env";

/*
 * The requester listing's cache, per web process. An entry is one person's computed listing for one
 * session and client address, valid while all of these hold:
 *   - the access version it was computed at is still the database's (access_version, bumped by
 *     triggers on access groups, members, activations, approvers, privileges, sets and the catalog:
 *     a change made through any web node or the worker drops every node's entries at their next read);
 *   - it is younger than INTERIM_ACCESS_CACHE_SECONDS — the bound for what no trigger sees: AD group
 *     membership (tokenGroups) read from the DC;
 *   - no access group's time window opened or closed since (an entry ends at the earliest such instant).
 * A new sign-in is a new session, so a new key: signing in again always recomputes, on every node. The cache only
 * decides what the page lists; submit re-checks everything against the directory and the database.
 */

interface Entry<T> {
  version: number;
  expiresAt: number;
  value: Promise<T>;
}

/** Enough for every person active at once on a node; the oldest entry goes first beyond it. */
const MAX_ENTRIES = 1000;

export class AccessCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /**
   * The entry for `key` at `version`, or `compute()`'s result (stored until `ttlUntil(result)` at the latest).
   * Concurrent calls for one key share one computation.
   */
  async get(key: string, version: number, compute: () => Promise<T>, until: (value: T) => number | null = () => null): Promise<T> {
    const now = Date.now();
    const ttlMs = env.INTERIM_ACCESS_CACHE_SECONDS * 1000;
    if (ttlMs === 0) return compute();
    const hit = this.entries.get(key);
    if (hit && hit.version === version && hit.expiresAt > now) return hit.value;
    const value = compute();
    const entry: Entry<T> = { version, expiresAt: now + ttlMs, value };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.trim(now);
    try {
      const result = await value;
      const end = until(result);
      if (end !== null) entry.expiresAt = Math.min(entry.expiresAt, end);
      return result;
    } catch (err) {
      // A failure (the DC unreachable) is never cached.
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private trim(now: number) {
    if (this.entries.size <= MAX_ENTRIES) return;
    for (const [key, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(key);
    // Map order is insertion order: the least recently computed go first.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(key);
    }
  }
}
