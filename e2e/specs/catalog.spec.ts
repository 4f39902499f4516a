import { expect, test } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, isMember } from "../fixtures/directory";
import { RolesPage } from "../pages/roles";

/*
 * The catalog (issue 3): an admin syncs computers and privileged accounts from AD with visible
 * progress and a list of what changed, and tags a synced device; a requester whose access group
 * names a privileged account elevates that account instead of their own, and AD follows.
 */

test("an admin syncs the catalog from AD, sees its progress and result, and tags a device", async ({ page }) => {
  await signInViaApi(page, "carol");
  await page.goto("/admin/catalog");
  await expect(page.getByRole("heading", { name: "Catalog" })).toBeVisible();
  await page.getByRole("button", { name: "Sync now" }).click();
  const progress = page.getByRole("progressbar", { name: "Catalog sync progress" });
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute("aria-valuetext", /^(Done|(\d+) of \2)$/, { timeout: 30_000 });
  await expect(page.getByText(/Last sync finished .*: \d+ added, \d+ updated, \d+ removed\./)).toBeVisible();

  // The demo OUs' computers and privileged accounts, with AD's operatingSystem as the model.
  const sql01 = page.getByRole("row", { name: "SQL01" });
  await expect(sql01).toBeVisible();
  await expect(sql01.getByText("Windows Server 2022")).toBeVisible();
  await expect(page.getByRole("row", { name: "adm-alice" })).toBeVisible();

  await sql01.getByRole("button", { name: "Edit SQL01" }).click();
  const form = page.getByRole("form", { name: "Edit SQL01" });
  await form.getByLabel("Tags").fill("production, database");
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(sql01.getByRole("list", { name: "Tags" }).getByText("production")).toBeVisible();
});

test("a requester elevates the privileged account their access group allows, and AD follows", async ({ page }) => {
  const ldap = await adminLdap();
  try {
    await signInViaApi(page, "alice");
    const roles = new RolesPage(page);
    await roles.goto();
    const card = roles.card("SQL Server administration");
    // The worker synced the catalog at start: adm-alice is offered (Demo operators names her).
    await expect(card.getByText(/also for adm-alice/)).toBeVisible({ timeout: 30_000 });
    await card.getByRole("button", { name: "Request" }).click();
    // The card's own form: the Sessions section of /roles has an "Account" and a "Justification" too.
    await card.getByLabel("Account").selectOption({ label: "adm-alice" });
    await card.getByLabel("Duration (minutes)").fill("15");
    await card.getByLabel("Justification").fill("e2e: elevate the admin account");
    await card.getByRole("button", { name: "Submit request" }).click();

    const row = roles.myAccess().getByRole("listitem").filter({ hasText: "for adm-alice" }).first();
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    expect(await isMember(ldap, "JIT SQL Admins", "adm-alice")).toBe(true);
    expect(await isMember(ldap, "JIT SQL Admins", "alice")).toBe(false);

    await roles.endNow(row);
    expect(await isMember(ldap, "JIT SQL Admins", "adm-alice")).toBe(false);
  } finally {
    await ldap.unbind();
  }
});
