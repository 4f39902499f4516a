import { expect, test } from "@playwright/test";
import { baseURL } from "../../playwright.config";
import { DEMO_PASSWORD } from "../fixtures/directory";
import { SigninPage } from "../pages/signin";

/*
 * A phishing link to Interim's real sign-in page, with a callbackUrl that points elsewhere once a
 * URL parser is done with it. After a real sign-in the browser must still be on Interim. Each of
 * these sent the browser to evil.example before the fix (issue 13).
 */
const PAYLOADS = [
  // The link, exactly as it was sent: /signin?callbackUrl=%2F.%2F%2Fevil.example%2Fphish
  "/.//evil.example/phish",
  "/..//evil.example/phish",
  "/./\\evil.example/phish",
  "/roles/..//evil.example/phish",
  "/%2e//evil.example/phish",
];

const origin = new URL(baseURL).origin;

for (const payload of PAYLOADS) {
  test(`a sign-in through /signin?callbackUrl=${payload} stays on Interim`, async ({ page }) => {
    // Nothing may even try to reach the attacker's host: every request to it is recorded and answered here.
    const toEvil: string[] = [];
    await page.route(
      (url) => url.hostname.endsWith("evil.example"),
      async (route) => {
        toEvil.push(route.request().url());
        await route.fulfill({ status: 200, contentType: "text/html", body: "<h1>Phished</h1>" });
      },
    );

    const signin = new SigninPage(page);
    await signin.goto(payload);
    await expect(signin.heading()).toBeVisible();
    await signin.signIn("alice", DEMO_PASSWORD);

    await expect(page.getByRole("heading", { name: "Request access" })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(origin);
    expect(toEvil).toEqual([]);
    await expect(page.getByRole("heading", { name: "Phished" })).toHaveCount(0);
  });
}
