import { expect, test } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, isMember } from "../fixtures/directory";
import { AdminPages } from "../pages/admin";
import { RolesPage } from "../pages/roles";

test("an admin publishes a directory group as a privilege", async ({ page }) => {
  await signInViaApi(page, "carol");
  const admin = new AdminPages(page);
  await admin.gotoPrivileges();
  await expect(page.getByRole("heading", { name: "Privileges" })).toBeVisible();
  await page.getByLabel("Search directory groups").fill("E2E Publish");
  const result = page.getByRole("listitem", { name: "JIT E2E Publish" });
  await result.getByRole("button", { name: "Publish", exact: true }).click();

  await page.getByLabel("Display name").fill("E2E publishing");
  await page.getByLabel("Maximum duration (minutes)").fill("30");
  await page.getByLabel("Default duration (minutes)").fill("45");
  await page.getByRole("button", { name: "Publish privilege" }).click();
  // The default above the maximum is refused on its field.
  await expect(page.getByText("The default cannot exceed the maximum")).toBeVisible();

  await page.getByLabel("Default duration (minutes)").fill("10");
  await page.getByRole("button", { name: "Publish privilege" }).click();
  await expect(page.getByRole("cell", { name: "E2E publishing" })).toBeVisible();
});

test("an admin revokes a grant from the dashboard and AD follows", async ({ browser }) => {
  const ldap = await adminLdap();
  const requesterCtx = await browser.newContext();
  const adminCtx = await browser.newContext();
  try {
    const requester = await requesterCtx.newPage();
    await signInViaApi(requester, "alice");
    const roles = new RolesPage(requester);
    await roles.goto();
    await roles.request("Web farm administration", 60, "e2e: to be revoked");
    await expect(roles.accessRow("Web farm administration").getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    expect(await isMember(ldap, "JIT Web Admins", "alice")).toBe(true);

    const page = await adminCtx.newPage();
    await signInViaApi(page, "carol");
    const admin = new AdminPages(page);
    await admin.gotoGrants();
    const row = admin.grantRow("alice", "Web farm administration");
    await expect(row).toBeVisible();
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("button", { name: "Confirm revoke" }).click();
    await expect(row).toHaveCount(0, { timeout: 30_000 });
    expect(await isMember(ldap, "JIT Web Admins", "alice")).toBe(false);
    await expect(roles.accessRow("Web farm administration").getByText("Revoked", { exact: true })).toBeVisible({ timeout: 30_000 });

    // The trail shows who did it.
    await admin.gotoAudit();
    await page.getByLabel("Action").selectOption("grant.end_requested");
    await expect(page.getByRole("cell", { name: "carol" }).first()).toBeVisible();
    await page.getByRole("button", { name: "Verify chain" }).click();
    await expect(page.getByText(/Chain intact/)).toBeVisible();
  } finally {
    await requesterCtx.close();
    await adminCtx.close();
    await ldap.unbind();
  }
});
