/**
 * Applies the database migrations (app + graphile-worker) as DATABASE_OWNER_URL (else DATABASE_URL),
 * then grants DATABASE_URL's role what the web and the worker need.
 */
import { migrateDatabase } from "../db/migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set");
  process.exit(2);
}
await migrateDatabase(process.env.DATABASE_OWNER_URL ?? url, url);
console.log("migrations applied");
