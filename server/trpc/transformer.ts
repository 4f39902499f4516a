import superjson, { type SuperJSONResult } from "superjson";

/*
 * The server's tRPC transformer: superjson's wire format, written faster for what answers hold.
 * superjson walks every value of an answer, building a path array and an identity record per node,
 * to find the few values JSON cannot carry; issue 15 found that walk a fifth of the roles page's
 * data call. Answers here are JSON plus Dates and undefined, and this writes exactly superjson's
 * output for those in one plain pass: the Date as its ISO string and `["Date"]` under its dotted
 * path in meta.values, undefined as null plus `["undefined"]`. Anything else — a Map,
 * a Set, a bigint, a class instance, NaN, ±Infinity, -0, an invalid Date, a key with "." or "\",
 * a key superjson refuses (`__proto__`, `constructor`, `prototype`), a circular object, nesting
 * beyond MAX_DEPTH — hands the whole answer to superjson itself, which annotates or refuses it as
 * before. The one difference: an object referenced twice is written twice, without superjson's
 * `referentialEqualities` (the browser gets two equal copies rather than one shared object).
 * The browser's superjson reads both alike (tests/unit/transformer.test.ts).
 */

const MAX_DEPTH = 64;
const REFUSED_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const ESCAPED = /[.\\]/;

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

type Annotations = Record<string, ["Date"] | ["undefined"]>;

function convert(value: unknown, path: string, depth: number, ancestors: Set<object>, annotations: Annotations): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value) || Object.is(value, -0)) throw NOT_PLAIN;
      return value;
    case "undefined":
      // The root itself is superjson's case (its annotation has no path).
      if (depth === 0) throw NOT_PLAIN;
      annotations[path] = ["undefined"];
      return null;
    case "object": {
      if (value === null) return null;
      if (value instanceof Date) {
        if (depth === 0 || Number.isNaN(value.getTime())) throw NOT_PLAIN;
        annotations[path] = ["Date"];
        return value.toISOString();
      }
      if (depth >= MAX_DEPTH || ancestors.has(value)) throw NOT_PLAIN;
      ancestors.add(value);
      const prefix = depth === 0 ? "" : `${path}.`;
      let out: unknown[] | Record<string, unknown>;
      if (Array.isArray(value)) {
        out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) out[i] = convert(value[i], prefix + i, depth + 1, ancestors, annotations);
      } else {
        if (Object.getPrototypeOf(value) !== Object.prototype) throw NOT_PLAIN;
        out = {};
        for (const key in value) {
          if (!Object.hasOwn(value, key) || REFUSED_KEYS.has(key) || ESCAPED.test(key)) throw NOT_PLAIN;
          out[key] = convert((value as Record<string, unknown>)[key], prefix + key, depth + 1, ancestors, annotations);
        }
      }
      ancestors.delete(value);
      return out;
    }
    default:
      // bigint, symbol, function: superjson's business.
      throw NOT_PLAIN;
  }
}

export function serialize(value: unknown): SuperJSONResult {
  const annotations: Annotations = {};
  let json: unknown;
  try {
    json = convert(value, "", 0, new Set(), annotations);
  } catch (err) {
    if (err instanceof NotPlain) return superjson.serialize(value);
    throw err;
  }
  for (const _ in annotations) return { json, meta: { values: annotations, v: 1 } } as SuperJSONResult;
  return { json } as SuperJSONResult;
}

export const transformer = { serialize, deserialize: superjson.deserialize };
