import { expect, test } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, isMember } from "../fixtures/directory";
import { RolesPage } from "../pages/roles";

const PRIVILEGE = "SQL Server administration";
const GROUP = "JIT SQL Admins";

test("a requester gets a privilege for a minute: active, in AD, then gone", async ({ page }) => {
  const ldap = await adminLdap();
  try {
    await signInViaApi(page, "alice");
    const roles = new RolesPage(page);
    await roles.goto();
    await expect(roles.heading()).toBeVisible();
    await expect(roles.card(PRIVILEGE)).toBeVisible();

    await roles.request(PRIVILEGE, 1, "e2e: patch the SQL cluster");
    const row = roles.accessRow(PRIVILEGE);
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(row.getByText(/Expires in \d+:\d\d/)).toBeVisible();

    // The directory agrees: alice is a member of the group on the DC.
    expect(await isMember(ldap, GROUP, "alice")).toBe(true);

    // After the minute, the worker removes her and the page says so.
    await expect(row.getByText("Expired", { exact: true })).toBeVisible({ timeout: 120_000 });
    expect(await isMember(ldap, GROUP, "alice")).toBe(false);
  } finally {
    await ldap.unbind();
  }
});

test("a duration over the privilege's maximum is refused with the limit", async ({ page }) => {
  await signInViaApi(page, "alice");
  const roles = new RolesPage(page);
  await roles.goto();
  await roles.card("Helpdesk password resets").getByRole("button", { name: "Request" }).click();
  await page.getByLabel("Duration (minutes)").fill("61");
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page.getByText(/at most 60/i).first()).toBeVisible();
});

test("a requester ends their access early", async ({ page }) => {
  const ldap = await adminLdap();
  try {
    await signInViaApi(page, "alice");
    const roles = new RolesPage(page);
    await roles.goto();
    await roles.request("Backup operators", 30, "e2e: end early");
    const row = roles.accessRow("Backup operators");
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    expect(await isMember(ldap, "JIT Backup Operators", "alice")).toBe(true);
    await roles.endNow(row);
    expect(await isMember(ldap, "JIT Backup Operators", "alice")).toBe(false);
  } finally {
    await ldap.unbind();
  }
});

test("the request page works on a 375 px phone screen", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signInViaApi(page, "alice");
  const roles = new RolesPage(page);
  await roles.goto();
  await expect(roles.heading()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(roles.card(PRIVILEGE).getByRole("button", { name: "Request" })).toBeVisible();
});
