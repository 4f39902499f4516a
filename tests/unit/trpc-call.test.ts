/**
 * trpc/call.ts, the inbox's small tRPC client (issue 15), against the real thing: superjson's own
 * serialize/deserialize, and a tRPC fetch handler with the server's transformer answering its calls.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { CallError, fromSuperjson, toSuperjson } from "@/trpc/call";
import { describeError, errorCode } from "@/trpc/errors";

const when = new Date("2026-12-07T10:00:00.000Z");
const inboxLike = [
  { requestId: "r1", requestedAt: when, approvalDeadline: null, startsAt: undefined, currentExpiresAt: when, tags: ["a", "b"], "odd.key": new Date(1) },
  { requestId: "r2", requestedAt: new Date(2), approvalDeadline: new Date(3), ratio: NaN, far: Infinity, nested: { at: new Date(4), list: [new Date(5)] } },
];

describe("superjson, the part our procedures use", () => {
  it("reads what superjson writes as superjson reads it", () => {
    for (const value of [inboxLike, { status: "approved", level: 2 }, [], null, undefined, when, "text", { a: [{ b: [undefined, new Date(9)] }] }]) {
      const wire = JSON.parse(JSON.stringify(superjson.serialize(value))) as ReturnType<typeof superjson.serialize>;
      expect(fromSuperjson(wire)).toEqual(superjson.deserialize(JSON.parse(JSON.stringify(superjson.serialize(value)))));
    }
    const [first] = fromSuperjson(JSON.parse(JSON.stringify(superjson.serialize(inboxLike)))) as typeof inboxLike;
    expect(first!.requestedAt).toBeInstanceOf(Date);
    expect(first!.requestedAt.getTime()).toBe(when.getTime());
  });

  it("refuses what it cannot read instead of showing it wrong", () => {
    for (const value of [{ m: new Map([[1, 2]]) }, { s: new Set([1]) }, { n: 1n }, [/x/]]) {
      expect(() => fromSuperjson(JSON.parse(JSON.stringify(superjson.serialize(value))))).toThrow(/cannot read/);
    }
  });

  it("writes the forms' inputs as superjson does", () => {
    for (const input of [
      { requestId: "r1", decision: "approve", comment: "", durationMinutes: null },
      { requestId: "r1", decision: "deny", comment: "no “thanks”", durationMinutes: 30 },
      { requestId: "r1", comment: "seen" },
      undefined,
    ])
      expect(toSuperjson(input)).toEqual(superjson.serialize(input));
  });
});

describe("calls over HTTP", () => {
  const t = initTRPC.create({
    transformer: superjson,
    errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, fieldErrors: shape.message === "bad" ? { comment: ["Too long"] } : null } }),
  });
  const router = t.router({
    things: t.router({
      list: t.procedure.query(({ ctx }) => [{ id: 1, at: when, background: (ctx as { background?: boolean }).background ?? false }]),
      echo: t.procedure.input(z.object({ comment: z.string(), minutes: z.number().nullable() })).mutation(({ input }) => ({ ...input, at: when })),
      taken: t.procedure.mutation(() => {
        throw new TRPCError({ code: "CONFLICT", message: "Already decided" });
      }),
      invalid: t.procedure.mutation(() => {
        throw new TRPCError({ code: "BAD_REQUEST", message: "bad" });
      }),
    }),
  });
  const seen: Request[] = [];

  afterEach(() => {
    vi.unstubAllGlobals();
    seen.length = 0;
  });

  function serve() {
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      const req = new Request(new URL(url, "http://interim.test"), init);
      seen.push(req.clone());
      return fetchRequestHandler({
        endpoint: "/api/trpc",
        req,
        router,
        createContext: () => ({ background: req.headers.get("x-interim-background") === "1" }),
      });
    });
  }

  it("queries with GET and mutates with JSON POSTs, reading dates back", async () => {
    serve();
    const { callQuery, callMutation } = await import("@/trpc/call");
    const list = (await callQuery("things.list" as never)) as unknown as { id: number; at: Date }[];
    expect(list).toEqual([{ id: 1, at: when, background: false }]);
    expect(seen[0]!.method).toBe("GET");
    const echoed = (await callMutation("things.echo" as never, { comment: "ok", minutes: null } as never)) as unknown;
    expect(echoed).toEqual({ comment: "ok", minutes: null, at: when });
    expect(seen[1]!.method).toBe("POST");
    expect(seen[1]!.headers.get("content-type")).toBe("application/json");
  });

  it("turns the server's error into one describeError and errorCode read", async () => {
    serve();
    const { callMutation } = await import("@/trpc/call");
    const conflict = await callMutation("things.taken" as never, undefined as never).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(CallError);
    expect(errorCode(conflict)).toBe("CONFLICT");
    expect(describeError(conflict).message).toBe("Already decided");
    const invalid = await callMutation("things.invalid" as never, undefined as never).catch((e: unknown) => e);
    expect(describeError(invalid)).toEqual({ message: "Too long", fieldErrors: { comment: ["Too long"] } });
  });
});
