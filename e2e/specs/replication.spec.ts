import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";

test("an admin chooses how replication is confirmed, with the fields checked (axe clean)", async ({ page }) => {
  await signInViaApi(page, "carol");
  await page.goto("/admin");
  const form = page.getByRole("form", { name: "Replication settings" });
  // The default: verify on every DC, which a single-DC domain passes at once.
  await expect(form.getByLabel("Verify on every domain controller")).toBeChecked();
  await expect(form.getByText("dc1.interim.test")).toBeVisible();

  try {
    await form.getByLabel("Both").check();
    await form.getByLabel("Replication latency (seconds)").fill("120");
    await form.getByLabel("Maximum wait (seconds)").fill("60");
    await form.getByLabel("Domain controllers to check").fill("ldap://dc1.interim.test");
    await form.getByRole("button", { name: "Save replication settings" }).click();
    await expect(form.getByText("The maximum wait cannot be shorter than the replication latency")).toBeVisible();
    await expect(form.getByText("Each domain controller must be an LDAPS URL")).toBeVisible();

    await form.getByLabel("Maximum wait (seconds)").fill("600");
    await form.getByLabel("Domain controllers to check").fill("ldaps://dc1.interim.test:636");
    await form.getByRole("button", { name: "Save replication settings" }).click();
    await expect(form.getByText("Replication settings saved.")).toBeVisible();

    await page.reload();
    await expect(form.getByLabel("Both")).toBeChecked();
    await expect(form.getByLabel("Replication latency (seconds)")).toHaveValue("120");
    await expect(form.getByLabel("Domain controllers to check")).toHaveValue("ldaps://dc1.interim.test:636");
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations).toEqual([]);

    // The change is in the audit trail.
    await page.goto("/admin/audit");
    await expect(page.getByRole("cell", { name: "directory.replication_changed" }).first()).toBeVisible();
  } finally {
    // Back to the default, so the other specs' grants never wait.
    await page.goto("/admin");
    await form.getByLabel("Verify on every domain controller").check();
    await form.getByLabel("Replication latency (seconds)").fill("30");
    await form.getByLabel("Maximum wait (seconds)").fill("900");
    await form.getByLabel("Domain controllers to check").fill("");
    await form.getByRole("button", { name: "Save replication settings" }).click();
    await expect(form.getByText("Replication settings saved.")).toBeVisible();
  }
});
