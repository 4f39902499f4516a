import { closeDb } from "@/db";
import { seedDemo } from "../scripts/seed-demo";
import { adminLdap, emptyGroup, ensureGroup, PRIVILEGE_OU } from "./fixtures/directory";

/** Demo privileges published (as in `npm run dev`), demo groups empty, one unpublished group. */
export default async function globalSetup() {
  if (!process.env.DATABASE_URL || !process.env.LDAP_URL) {
    throw new Error("e2e needs the local stack: run `npm test` (or through scripts/with-stack.ts).");
  }
  const c = await adminLdap();
  try {
    for (const cn of ["JIT SQL Admins", "JIT Web Admins", "JIT Backup Operators", "JIT Helpdesk"]) await emptyGroup(c, `CN=${cn},${PRIVILEGE_OU}`);
    await ensureGroup(c, "JIT E2E Publish", "Group for the publish test");
  } finally {
    await c.unbind();
  }
  await seedDemo();
  await closeDb();
}
