import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";

test("the directory page shows each delegation, its check and its commands on first paint", async ({ page }) => {
  await signInViaApi(page, "carol");
  // The checks come in the server's HTML: no "Checking…" placeholder to wait through.
  const response = await page.goto("/admin/directory");
  const html = (await response!.text()) ?? "";
  expect(html).toContain("Write the members of the published groups");
  expect(html).not.toContain("Checking the service account");

  await expect(page.getByRole("heading", { name: "Directory set-up" })).toBeVisible();
  const temp = page.getByRole("region", { name: "Create and delete groups in the temporary-group OU" });
  await expect(temp.getByText("In place", { exact: true })).toBeVisible();
  // One dialect at a time; each button shows its own command.
  await temp.getByRole("button", { name: "dsacls (cmd.exe)" }).click();
  await expect(temp.getByRole("button", { name: "dsacls (cmd.exe)" })).toHaveAttribute("aria-pressed", "true");
  await expect(temp.locator("pre")).toContainText('/G "INTERIM\\svc-interim:CCDC;group"');
  await temp.getByRole("button", { name: "samba-tool" }).click();
  await expect(temp.locator("pre")).toContainText("samba-tool dsacl set");

  const holder = page.getByRole("region", { name: "Clear adminCount and restore inheritance on protected accounts" });
  await expect(holder.getByText("lets the service account change the permissions of every Domain Admin")).toBeVisible();

  await page.getByRole("button", { name: "Check again" }).click();
  await expect(page.getByRole("button", { name: "Check again" })).toBeEnabled();
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
});
