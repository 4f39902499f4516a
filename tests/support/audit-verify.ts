import { execFile } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

/** `npm run audit:verify` as an operator runs it, against the database in DATABASE_URL: exit code and output. */
export function runAuditVerify(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("npm", ["run", "--silent", "audit:verify"], { cwd: root, env: process.env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** `scripts/audit-verify.ts` run directly (no stack wrapper) against the database at `databaseUrl`, with `args` (and `env` on top of the tests'). */
export function runAuditVerifyOn(databaseUrl: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      "npx",
      ["tsx", "--import", "./scripts/lib/server-only.mjs", "scripts/audit-verify.ts", ...args],
      { cwd: root, env: { ...process.env, ...env, DATABASE_URL: databaseUrl }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}
