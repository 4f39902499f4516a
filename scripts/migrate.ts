/** Applies the database migrations (app + graphile-worker) to DATABASE_URL. */
import { migrateDatabase } from "../db/migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set");
  process.exit(2);
}
await migrateDatabase(url);
console.log("migrations applied");
