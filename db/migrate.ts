import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { Logger, runMigrations } from "graphile-worker";
import postgres from "postgres";

/** Applies the app's drizzle migrations and graphile-worker's own schema. */
export async function migrateDatabase(databaseUrl: string) {
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(client), { migrationsFolder: path.resolve(import.meta.dirname, "migrations") });
  } finally {
    await client.end();
  }
  await runMigrations({ connectionString: databaseUrl, logger: quietLogger() });
}

function quietLogger() {
  // Migrations have nothing worth printing.
  return new Logger(() => () => {});
}
