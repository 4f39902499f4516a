import "server-only";
import { execFileSync } from "node:child_process";
import { env } from "@/server/env";
import pkg from "../../package.json";

let cached: string | undefined;

/**
 * What this process runs: package.json's version and the commit it was built from
 * (INTERIM_BUILD_COMMIT, else the checkout's HEAD when git answers, else "dev"). Asked once.
 */
export function appVersion(): string {
  cached ??= `${pkg.version}+${env.INTERIM_BUILD_COMMIT?.slice(0, 12) ?? gitCommit() ?? "dev"}`;
  return cached;
}

function gitCommit(): string | undefined {
  try {
    const out = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { timeout: 2_000, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    return /^[0-9a-f]{7,40}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}
