import "server-only";
import { sql } from "drizzle-orm";
import journal from "@/db/migrations/meta/_journal.json";

export interface JournalEntry {
  tag: string;
  when: number;
}

/** The migrations this build was made with (drizzle-kit's journal, bundled at build time). */
export const BUILD_JOURNAL: readonly JournalEntry[] = journal.entries;

/** Anything with drizzle's `execute`: the pool, a transaction, another connection (tests). */
interface Queryable {
  execute(query: ReturnType<typeof sql>): PromiseLike<ArrayLike<unknown>>;
}

/**
 * The journal's migrations the database has not applied. drizzle's migrator records each as a row
 * whose created_at is the journal entry's `when`, and applies only what is newer than the newest
 * row — so a row missing in the middle (a restored or hand-edited database) is never filled in by
 * a migrate either: it is reported too.
 */
export async function missingMigrations(db: Queryable, entries: readonly JournalEntry[] = BUILD_JOURNAL): Promise<string[]> {
  const rows = (await db.execute(sql`select created_at::text as at from drizzle.__drizzle_migrations`)) as ArrayLike<{ at: string }>;
  const applied = new Set(Array.from(rows, (r) => r.at));
  return entries.filter((e) => !applied.has(String(e.when))).map((e) => e.tag);
}
