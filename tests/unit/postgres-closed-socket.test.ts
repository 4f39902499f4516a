/**
 * postgres-js 3.4.x, as patched by patches/postgres+3.4.10.patch (porsager/postgres#1154, #1208):
 * a query sent on a connection whose socket has closed is rejected with CONNECTION_CLOSED instead
 * of throwing from a setImmediate (uncaught: it ended the worker when Postgres restarted), and a
 * flush cancelled by the close does not stop the connection from ever flushing again. Against a
 * fake server (the `socket` option), so the close lands exactly where it must.
 */
import { EventEmitter } from "node:events";
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isLostConnection } from "@/worker/lost-connection";

/** One backend message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer = Buffer.alloc(0)) {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstring = (s: string) => Buffer.from(`${s}\0`);
const readyForQuery = (status: "I" | "T") => message("Z", Buffer.from(status));
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** What the server does with the n-th query: answer it, or close the connection instead. */
type OnSync = (n: number, server: FakeServer) => "answer" | "close";

/**
 * Speaks just enough of the protocol for `prepare: false` queries: trust authentication, then for
 * each Sync the answers to Parse + Describe + Bind + Execute of a statement that returns no rows
 * (or, as `onSync` decides, the connection closes instead, as when Postgres stops).
 */
class FakeServer extends EventEmitter {
  readyState = "open";
  private pending = Buffer.alloc(0);
  private started = false;
  private syncs = 0;

  constructor(private readonly onSync: OnSync) {
    super();
  }

  write(data: Buffer, fn?: () => void) {
    this.pending = Buffer.concat([this.pending, data]);
    for (;;) {
      if (!this.started) {
        if (this.pending.length < 4) break;
        const length = this.pending.readInt32BE(0);
        this.pending = this.pending.subarray(length);
        this.started = true;
        this.reply(Buffer.concat([message("R", int32(0)), readyForQuery("I")]));
        continue;
      }
      if (this.pending.length < 5) break;
      const type = String.fromCharCode(this.pending[0]!);
      this.pending = this.pending.subarray(1 + this.pending.readInt32BE(1));
      // A simple query (Q: postgres-js sends BEGIN so) or the Sync that ends an extended one (S).
      if (type !== "Q" && type !== "S") continue;
      if (this.onSync(++this.syncs, this) === "close") this.close();
      else if (type === "Q") this.reply(Buffer.concat([message("C", cstring("BEGIN")), readyForQuery("T")]));
      else
        this.reply(
          Buffer.concat([message("1"), message("t", Buffer.from([0, 0])), message("n"), message("2"), message("C", cstring("SELECT 0")), readyForQuery("T")]),
        );
    }
    fn?.();
    return true;
  }

  /** The server went away: the socket closes without an error (as on a fast shutdown's FIN). */
  close() {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    setImmediate(() => this.emit("close", false));
  }

  /** The same, with the close event emitted now (from whatever immediate or timer calls it). */
  closeNow() {
    this.readyState = "closed";
    this.emit("close", false);
  }

  end() {
    this.close();
  }

  destroy() {
    this.close();
  }

  setKeepAlive() {}

  private reply(data: Buffer) {
    setImmediate(() => this.readyState === "open" && this.emit("data", data));
  }
}

let uncaught: unknown[] = [];
const record = (err: unknown) => uncaught.push(err);
let sql: postgres.Sql | undefined;

beforeEach(() => {
  uncaught = [];
  process.on("uncaughtException", record);
});

afterEach(async () => {
  process.off("uncaughtException", record);
  await sql?.end({ timeout: 0 });
  sql = undefined;
});

function client(onSync: OnSync) {
  const servers: FakeServer[] = [];
  // `socket` (returns each connection's socket) is in postgres-js's code but not in its types.
  const options = {
    max: 1,
    prepare: false,
    fetch_types: false,
    onnotice: () => {},
    socket: () => {
      const server = new FakeServer(onSync);
      servers.push(server);
      return server;
    },
  };
  sql = postgres(options);
  return { sql, servers };
}

/** Lets every pending immediate and timer of the driver run (where the unpatched driver throws). */
const settle = () => new Promise((r) => setTimeout(r, 50));

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))]);

describe("postgres-js on a connection whose socket closed", () => {
  it("a transaction cut under a query rejects with a lost connection, and its ROLLBACK throws nothing uncaught", async () => {
    // Sync 1: BEGIN; sync 2: the query inside, during which the server goes away.
    const { sql } = client((n) => (n === 2 ? "close" : "answer"));
    const err = await sql
      .begin((tx) => tx`select 1`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await settle();
    expect(uncaught).toEqual([]);
    expect(err).toMatchObject({ code: "CONNECTION_CLOSED" });
    expect(isLostConnection(err)).toBe(true);
  });

  it("a reserved connection's next query after the close is rejected, and the pool serves again on a new socket", async () => {
    const { sql, servers } = client((n) => (n === 3 ? "close" : "answer"));
    // Open the connection first (with fetch_types off, a reserve() on a fresh connection never resolves).
    await sql`select 0`;
    const reserved = await sql.reserve();
    await reserved`select 1`;
    await expect(within(reserved`select 2`, 2_000, "the query the close cut")).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    await expect(within(reserved`select 3`, 2_000, "a query after the close")).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    reserved.release();
    await settle();
    expect(uncaught).toEqual([]);
    await within(sql`select 4`, 2_000, "the pool after the close");
    expect(servers).toHaveLength(2);
  });

  it("a flush the close cancelled does not stop the reconnected socket from flushing", async () => {
    const { sql, servers } = client(() => "answer");
    await sql`select 1`;
    // The close lands after the query is buffered and before its flush (both are immediates: this one first).
    setImmediate(() => servers[0]!.closeNow());
    await expect(sql`select 2`).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    await within(sql`select 3`, 2_000, "the reconnected socket");
    expect(servers).toHaveLength(2);
    expect(uncaught).toEqual([]);
  });
});
