import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";
import { presenceHeaders } from "./presence";

/*
 * A small tRPC client for the pages a phone opens first (the inbox, issue 15): one procedure per
 * call over fetch, no batching, no React Query. @trpc/client, @trpc/tanstack-react-query, React
 * Query and superjson are ~20 KB gzipped, a seventh of the inbox's budget. The server is unchanged:
 * it still speaks superjson (server/trpc/init.ts), and this side reads the part of it our
 * procedures send — dates, undefined and the non-finite numbers — and refuses anything else (a
 * Map, a BigInt…) loudly rather than show it wrong. tests/unit/trpc-call.test.ts holds it to
 * superjson's own output.
 */

type RouterOutputs = inferRouterOutputs<AppRouter>;
type RouterInputs = inferRouterInputs<AppRouter>;
type Routers = keyof RouterOutputs & string;
/** "approvals.inbox", "approvals.decide", … */
export type ProcedurePath = { [R in Routers]: `${R}.${keyof RouterOutputs[R] & string}` }[Routers];
export type OutputOf<P extends ProcedurePath> = P extends `${infer R}.${infer N}`
  ? R extends Routers
    ? N extends keyof RouterOutputs[R]
      ? RouterOutputs[R][N]
      : never
    : never
  : never;
export type InputOf<P extends ProcedurePath> = P extends `${infer R}.${infer N}`
  ? R extends keyof RouterInputs
    ? N extends keyof RouterInputs[R]
      ? RouterInputs[R][N]
      : never
    : never
  : never;

type ErrorData = { code?: string; httpStatus?: number; fieldErrors?: Record<string, string[] | undefined> | null };

/** A refused or failed call; `data` is the server's error shape, read by trpc/errors.ts like a TRPCClientError's. */
export class CallError extends Error {
  override readonly name = "CallError";
  constructor(
    message: string,
    readonly data?: ErrorData,
  ) {
    super(message);
  }
}

interface Serialized {
  json: unknown;
  meta?: { values?: unknown; v?: number };
}

/** superjson's path "0.a\.b" → ["0", "a.b"] (a backslash escapes the next character). */
function pathKeys(path: string): string[] {
  const keys: string[] = [];
  let key = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "\\" && i + 1 < path.length) key += path[++i];
    else if (c === ".") {
      keys.push(key);
      key = "";
    } else key += c;
  }
  keys.push(key);
  return keys;
}

function revive(annotation: unknown, value: unknown): unknown {
  if (!Array.isArray(annotation) || annotation.length !== 1) throw new Error("The server sent a value this page cannot read");
  const type: unknown = annotation[0];
  if (type === "Date") return new Date(value as string);
  if (type === "undefined") return undefined;
  if (type === "number") return Number(value); // "NaN", "Infinity", "-Infinity", "-0"
  throw new Error(`The server sent a ${String(type)}, which this page cannot read`);
}

/** superjson.deserialize for what our procedures return (see above); throws on the rest. */
export function fromSuperjson(s: Serialized): unknown {
  const values = s.meta?.values;
  if (values === undefined) return s.json;
  if (Array.isArray(values)) return revive(values, s.json);
  const root = s.json;
  // Referential equalities only say two paths held the same object; each path's value is already there.
  for (const [path, annotation] of Object.entries(values as Record<string, unknown>)) {
    const keys = pathKeys(path);
    const last = keys.pop()!;
    let parent = root as Record<string, unknown>;
    for (const k of keys) parent = parent[k] as Record<string, unknown>;
    parent[last] = revive(annotation, parent[last]);
  }
  return root;
}

/** superjson.serialize for plain JSON inputs (strings, numbers, booleans, null, arrays, objects): what our forms send. */
export function toSuperjson(input: unknown): Serialized {
  return { json: input ?? null, ...(input === undefined ? { meta: { values: ["undefined"], v: 1 } } : {}) };
}

async function send(path: string, init: RequestInit): Promise<unknown> {
  const res = await fetch(`/api/trpc/${path}`, { ...init, headers: { ...presenceHeaders(), ...init.headers }, credentials: "same-origin" });
  let body: { result?: { data: Serialized }; error?: Serialized };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new CallError(`The server answered ${res.status} ${res.statusText}`.trim(), { httpStatus: res.status });
  }
  if (body.error) {
    const shape = fromSuperjson(body.error) as { message?: string; data?: ErrorData };
    throw new CallError(shape.message ?? "Something went wrong.", shape.data);
  }
  if (!body.result) throw new CallError(`The server answered ${res.status} without a result`, { httpStatus: res.status });
  return fromSuperjson(body.result.data);
}

/** A query procedure without input (GET, as @trpc/client sends it). */
export function callQuery<P extends ProcedurePath>(path: P): Promise<OutputOf<P>> {
  return send(path, { method: "GET" }) as Promise<OutputOf<P>>;
}

/** A mutation (POST, application/json: the route refuses other types). */
export function callMutation<P extends ProcedurePath>(path: P, input: InputOf<P>): Promise<OutputOf<P>> {
  return send(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(toSuperjson(input)) }) as Promise<OutputOf<P>>;
}
