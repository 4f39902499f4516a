import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { baseURL } from "../playwright.config";
import { startMailSink } from "../scripts/lib/mail-sink";
import { E2E_MAIL_DIR } from "./fixtures/mail";
import { closeDb } from "@/db";
import { seedDemo } from "../scripts/seed-demo";
import { adminLdap, emptyGroup, ensureGroup, PRIVILEGE_OU } from "./fixtures/directory";

/**
 * Demo privileges published (as in `npm run dev`), demo groups empty, one unpublished group, and
 * the worker process running for the whole suite. Returns the teardown that stops the worker.
 */
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

  // Notifications go to a real SMTP server on loopback; specs read the mails from E2E_MAIL_DIR.
  rmSync(E2E_MAIL_DIR, { recursive: true, force: true });
  const mail = await startMailSink(E2E_MAIL_DIR);

  const root = path.resolve(import.meta.dirname, "..");
  const worker = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "worker/index.ts"], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      INTERIM_PROCESS: "interim-worker-e2e",
      SMTP_URL: mail.url,
      APP_URL: baseURL,
      EXPIRY_WARNING_MINUTES: "1",
      INTERIM_WEBHOOK_ALLOW: "127.0.0.1",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  let stopping = false;
  worker.on("exit", (code, signal) => {
    if (!stopping) console.error(`[e2e] worker exited unexpectedly (${code ?? signal})`);
  });
  return async () => {
    stopping = true;
    await mail.close();
    if (worker.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.kill("SIGTERM");
    });
  };
}
