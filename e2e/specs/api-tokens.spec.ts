import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";

test("an admin creates an API token, sees its secret once, uses it, and revokes it", async ({ page, request }) => {
  await signInViaApi(page, "carol");
  await page.goto("/admin/api-tokens");
  await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
  const name = `e2e ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/privileges:read/).check();
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Copy it now: you will not see it again.")).toBeVisible();
  const secret = await page.getByLabel("Secret").inputValue();
  expect(secret).toMatch(/^itm_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);

  // The secret works on the REST API…
  const ok = await request.get("/api/v1/privileges", { headers: { authorization: `Bearer ${secret}` } });
  expect(ok.status()).toBe(200);
  await page.getByRole("button", { name: "I have stored it" }).click();
  // …is not shown again…
  await page.reload();
  await expect(page.getByText(name)).toBeVisible();
  expect(await page.content()).not.toContain(secret.slice(-20));
  // …and stops working once revoked.
  await page.getByRole("button", { name: "Revoke" }).first().click();
  await page.getByRole("button", { name: `Revoke “${name}” now` }).click();
  await expect(page.getByText(/^Revoked /).first()).toBeVisible();
  const refused = await request.get("/api/v1/privileges", { headers: { authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);
});
