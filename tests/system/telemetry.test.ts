import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot, run } from "./namespace";

/*
 * Next.js sends usage events to telemetry.nextjs.org unless told not to. scripts/no-egress.sh runs
 * a command with only loopback and that host pointed at a catcher, and exits 3 naming what reached
 * it. (NEXT_TELEMETRY_DEBUG is no witness: this Next prints every event even when telemetry is off.)
 */
let configHome: string;
beforeEach(() => {
  // Next keeps "telemetry enabled" in a per-user file: a fresh one, so a developer's own
  // `next telemetry disable` cannot hide a regression here.
  configHome = mkdtempSync(path.join(tmpdir(), "interim-next-config-"));
});
afterEach(() => rmSync(configHome, { recursive: true, force: true }));

async function noEgress(script: string, env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, ...env };
  delete childEnv.NEXT_TELEMETRY_DISABLED;
  delete childEnv.CI;
  const r = await run("bash", [path.join(repoRoot, "scripts/no-egress.sh"), "--", "bash", "-euo", "pipefail", "-c", script], {
    cwd: repoRoot,
    env: childEnv,
    timeoutMs: 360_000,
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("Next.js telemetry", () => {
  it("is caught when Next sends it (the witness works)", async () => {
    const r = await noEgress(`node -e '
      const { Telemetry } = require("next/dist/telemetry/storage");
      const t = new Telemetry({ distDir: process.env.XDG_CONFIG_HOME });
      t.record({ eventName: "INTERIM_WITNESS", payload: {} });
      t.flush().then(() => console.log("flushed"));'`);
    expect(r.output).toContain("flushed");
    expect(r.status, r.output).toBe(3);
    expect(r.output).toMatch(/port 443: telemetry\.nextjs\.org/);
  });

  it("is never sent by the web process, even started without NEXT_TELEMETRY_DISABLED", async () => {
    // The dev server is the one that records events on start and on each compile; the directory
    // and database are never reached for a sign-in page, so placeholders do.
    const env = {
      DATABASE_URL: "postgres://nobody:none@127.0.0.1:9/none",
      LDAP_URL: "ldaps://127.0.0.1:9",
      LDAP_BASE_DN: "DC=example,DC=test",
      LDAP_BIND_DN: "CN=nobody,DC=example,DC=test",
      LDAP_BIND_PASSWORD: "unused",
      INTERIM_ADMIN_GROUP_DN: "CN=Admins,DC=example,DC=test",
      NEXTAUTH_SECRET: "telemetry-test-secret-telemetry-test",
      NEXTAUTH_URL: "http://127.0.0.1:3199",
      PORT: "3199",
      // "Interim on http://…" (the web process is ready) is logged at info.
      LOG_LEVEL: "info",
    };
    const r = await noEgress(
      `node --import tsx --import ./scripts/lib/server-only.mjs server/http/serve.ts --dev >"$XDG_CONFIG_HOME/web.log" 2>&1 &
      web=$!
      for _ in $(seq 2400); do grep -q "Interim on" "$XDG_CONFIG_HOME/web.log" && break; kill -0 $web || break; sleep 0.1; done
      echo "signin: $(curl -s -o /dev/null -w "%{http_code}" --max-time 240 http://127.0.0.1:3199/signin)"
      sleep 1
      kill $web; wait $web || true
      cat "$XDG_CONFIG_HOME/web.log"`,
      env,
    );
    expect(r.output).toContain("signin: 200");
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain("telemetry.nextjs.org");
  }, 400_000);
});
