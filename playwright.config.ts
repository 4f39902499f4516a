import { defineConfig, devices } from "@playwright/test";
// global-setup and the fixtures seed through db/ and server/ (which `import "server-only"`).
import "./scripts/lib/server-only.mjs";

const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

/**
 * Run through `npm test` (or `npx tsx scripts/with-stack.ts --cluster test --db interim_e2e --fresh -- npx playwright test`
 * after `npx next build`): the stack's env (database, local AD) is inherited by the servers below.
 */
export default defineConfig({
  testDir: "./e2e/specs",
  fullyParallel: false,
  workers: 1,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "desktop", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  // The worker has no port for Playwright to wait on: e2e/global-setup.ts starts it and stops it.
  webServer: [
    {
      command: "npx tsx --import ./scripts/lib/server-only.mjs server/http/serve.ts",
      url: `${baseURL}/api/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      // Loopback is the "proxy" here, so specs can say where a requester is with X-Forwarded-For.
      env: {
        NEXT_TELEMETRY_DISABLED: "1",
        NEXTAUTH_URL: baseURL,
        PORT: String(port),
        BIND_ADDRESS: "127.0.0.1",
        INTERIM_PROCESS: "interim-web-e2e",
        TRUSTED_PROXIES: "127.0.0.1,::1",
        EXPIRY_WARNING_MINUTES: "1",
        // The specs' webhook receivers listen on loopback: an internal receiver the operator allows.
        INTERIM_WEBHOOK_ALLOW: "127.0.0.1",
      },
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
