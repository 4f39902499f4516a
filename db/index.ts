import "server-only";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { env } from "@/shared/env";
import * as schema from "./schema";

export type Database = PostgresJsDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either the pool or an open transaction: services accept both so callers can compose them. */
export type Executor = Database | Transaction;

interface Connection {
  client: postgres.Sql;
  db: Database;
}

// Next's dev server reloads modules; keep one pool per process.
const globalForDb = globalThis as unknown as { interimDb?: Connection };

function connect(): Connection {
  const client = postgres(env.DATABASE_URL, {
    max: Number(process.env.DB_POOL_MAX ?? 10),
    onnotice: () => {},
    connection: { application_name: process.env.INTERIM_PROCESS ?? "interim" },
  });
  return { client, db: drizzle(client, { schema }) };
}

function connection(): Connection {
  globalForDb.interimDb ??= connect();
  return globalForDb.interimDb;
}

export const db: Database = new Proxy({} as Database, {
  get(_t, key: string) {
    const target = connection().db as unknown as Record<string, unknown>;
    const value = target[key];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});

export function sqlClient(): postgres.Sql {
  return connection().client;
}

export async function closeDb() {
  const c = globalForDb.interimDb;
  globalForDb.interimDb = undefined;
  await c?.client.end({ timeout: 5 });
}

export { schema };
