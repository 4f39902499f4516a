import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { sqlClient } from "@/db";
import { LockTimeoutError, withSessionLock } from "@/server/jobs/locks";

/*
 * The singleton-job lock (reconcile, catalog sync): one holder at a time, and freed by Postgres
 * when the holder's connection dies — unlike a graphile-worker named queue, which a killed worker
 * leaves locked for hours.
 */

const KEY = 0x7e57_0001;

afterAll(async () => {
  await sqlClient()`select pg_advisory_unlock_all()`;
});

describe("withSessionLock", () => {
  it("runs one holder at a time: a second caller skips, or waits and then runs", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = withSessionLock(KEY, () => held.then(() => "first"));
    await new Promise((r) => setTimeout(r, 100));
    expect(await withSessionLock(KEY, async () => "second")).toEqual({ ran: false });
    await expect(withSessionLock(KEY, async () => "late", { waitMs: 200, pollMs: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    const waiting = withSessionLock(KEY, async () => "waited", { waitMs: 5_000, pollMs: 50 });
    release();
    expect(await first).toEqual({ ran: true, value: "first" });
    expect(await waiting).toEqual({ ran: true, value: "waited" });
  });

  it("is released when the holder's connection dies (a SIGKILLed worker)", async () => {
    // The holder is a client of its own: a connection killed under the shared pool would be
    // handed to the next test.
    const holder = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      const [row] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const pid = row!.pid;
      await holder`select pg_advisory_lock(${KEY}::bigint)`;
      expect(await withSessionLock(KEY, async () => 1)).toEqual({ ran: false });
      await sqlClient()`select pg_terminate_backend(${pid})`;
      await expect.poll(async () => withSessionLock(KEY, async () => 2), { timeout: 5_000 }).toEqual({ ran: true, value: 2 });
    } finally {
      await holder.end({ timeout: 1 }).catch(() => {});
    }
  });

  it("releases the lock when the work throws", async () => {
    await expect(withSessionLock(KEY, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await withSessionLock(KEY, async () => "after")).toEqual({ ran: true, value: "after" });
  });
});
