import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { serialize } from "@/server/trpc/transformer";

/*
 * The server's tRPC transformer (server/trpc/transformer.ts) must write what superjson writes, so
 * the browser's superjson reads answers as before: compared on generated answers and on each value
 * the fast path leaves to superjson.
 */

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function answer(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0:
      return `s${Math.floor(r() * 1000)}`;
    case 1:
      return Math.floor(r() * 2000) - 1000 + (r() < 0.3 ? 0.5 : 0);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return new Date(1_700_000_000_000 + Math.floor(r() * 1e10));
    case 5:
      return depth === 0 ? "root" : undefined;
    case 6:
      return Array.from({ length: Math.floor(r() * 5) }, () => answer(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[`k${Math.floor(r() * 20)}_${i}`] = answer(r, depth + 1);
      return o;
    }
  }
}

const roundTrip = (x: ReturnType<typeof serialize>) => superjson.deserialize(JSON.parse(JSON.stringify(x)));

describe("the tRPC transformer", () => {
  it("writes exactly superjson's output for answers of JSON, Dates and undefined", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const value = answer(rng(seed));
      expect(serialize(value), `seed ${seed}`).toEqual(superjson.serialize(value));
      expect(roundTrip(serialize(value)), `seed ${seed}`).toEqual(value);
    }
  });

  it("annotates nested Dates and undefined under their dotted paths", () => {
    const at = new Date("2026-12-07T10:00:00.000Z");
    expect(serialize({ items: [{ verdict: { endsAt: at, note: undefined } }], n: 1 })).toEqual({
      json: { items: [{ verdict: { endsAt: "2026-12-07T10:00:00.000Z", note: null } }], n: 1 },
      meta: { values: { "items.0.verdict.endsAt": ["Date"], "items.0.verdict.note": ["undefined"] }, v: 1 },
    });
    expect(serialize({ a: [1, "x", null] })).toEqual({ json: { a: [1, "x", null] } });
  });

  it("leaves to superjson what only it writes, with superjson's own result", () => {
    const cases: [string, unknown][] = [
      ["a Map", { m: new Map([["a", 1]]) }],
      ["a Set", { s: new Set([1]) }],
      ["a bigint", { b: 10n }],
      ["NaN", { n: Number.NaN }],
      ["Infinity", { n: Number.POSITIVE_INFINITY }],
      ["-0", { n: -0 }],
      ["a RegExp", { r: /x/g }],
      ["an Error", { e: new Error("boom") }],
      ["a key with a dot", { "a.b": new Date(0) }],
      ["a key with a backslash", { "a\\b": new Date(0) }],
      ["a root Date", new Date(0)],
      ["a root undefined", undefined],
    ];
    for (const [what, value] of cases) expect(serialize(value), what).toEqual(superjson.serialize(value));
  });

  it("refuses what superjson refuses, and cuts circles as superjson does", () => {
    const polluted = JSON.parse('{"__proto__": {"admin": true}}') as unknown;
    expect(() => serialize(polluted)).toThrow(/prototype pollution/);
    const circle: Record<string, unknown> = { a: 1 };
    circle.self = circle;
    expect(serialize(circle)).toEqual(superjson.serialize(circle));
  });

  it("writes an object referenced twice twice, which the browser reads as two equal objects", () => {
    const shared = { at: new Date(0), name: "x" };
    const value = { a: shared, b: shared };
    const out = serialize(value);
    expect(out.meta).toEqual({ values: { "a.at": ["Date"], "b.at": ["Date"] }, v: 1 });
    expect(roundTrip(out)).toEqual(value);
  });
});
