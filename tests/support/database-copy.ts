import postgres from "postgres";
import { closeDb } from "@/db";

/**
 * A copy of the test database (`create database … template …`), as an operator would take one to
 * examine: its owner URL and a way to drop it. The template may have no other session, so the
 * test's own pool is closed (it reconnects on its next query) and stray sessions are ended.
 */
export async function copyDatabase(suffix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const owner = new URL(process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL!);
  const source = decodeURIComponent(owner.pathname.slice(1));
  const name = `${source}_${suffix}`;
  const maintenance = new URL(owner);
  maintenance.pathname = "/postgres";
  const admin = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
  await closeDb();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  for (let attempt = 1; ; attempt++) {
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${source} and pid <> pg_backend_pid()`;
    try {
      await admin.unsafe(`create database "${name}" template "${source}"`);
      break;
    } catch (err) {
      if (attempt >= 5 || !String(err).includes("being accessed by other users")) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const copy = new URL(owner);
  copy.pathname = `/${name}`;
  return {
    url: copy.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
