import { expect, type Locator, type Page } from "@playwright/test";

export type AccessGroupTab = "Settings" | "Criteria" | "Users" | "Approvers" | "Limits" | "Locations" | "Notifications";

/** The access-group pages of the admin dashboard (/admin/access-groups and the seven tabs). */
export class AccessGroupPages {
  constructor(readonly page: Page) {}

  async gotoList() {
    await this.page.goto("/admin/access-groups");
    await expect(this.page.getByRole("heading", { name: "Access groups" })).toBeVisible();
  }

  listItem(name: string): Locator {
    return this.page.getByLabel(name, { exact: true });
  }

  async create(name: string, timeZone: string) {
    await this.gotoList();
    await this.page.getByRole("button", { name: "New access group" }).click();
    await this.page.getByLabel("Name").fill(name);
    await this.page.getByLabel("Description").fill(`${name}, built by the e2e suite`);
    const tz = this.page.getByLabel("Time zone");
    if ((await tz.evaluate((el) => el.tagName)) === "SELECT") await tz.selectOption(timeZone);
    else await tz.fill(timeZone);
    await this.page.getByRole("button", { name: "Create access group" }).click();
    await expect(this.page).toHaveURL(/\/admin\/access-groups\/[0-9a-f-]+\/settings$/);
  }

  async tab(name: AccessGroupTab) {
    await this.page.getByRole("navigation", { name: "Access group sections" }).getByRole("link", { name, exact: true }).click();
    await expect(this.page).toHaveURL(new RegExp(`/${name.toLowerCase()}$`));
  }

  /** Saves the current tab and waits for its confirmation. */
  async save(button: string, confirmation: string) {
    await this.page.getByRole("button", { name: button }).click();
    await expect(this.page.getByRole("status").filter({ hasText: confirmation })).toBeVisible();
  }

  /**
   * Builds a group with approvers through the tabs, as an admin would: the settings checkboxes
   * named, privileges by name pattern (checked in the preview), requesters and approvers by
   * username (approvers on level 1 unless given).
   */
  async buildWithApprovers(spec: {
    name: string;
    settings: string[];
    privilegeNames: string;
    previewShows: string;
    requesters: string[];
    approvers: { username: string; level?: number }[];
  }) {
    const page = this.page;
    await this.create(spec.name, "UTC");
    for (const label of spec.settings) await page.getByLabel(label).check();
    await this.save("Save settings", "Settings saved");

    await this.tab("Criteria");
    await page.getByLabel("Privilege names").fill(spec.privilegeNames);
    await expect(page.getByRole("region", { name: "Preview" }).getByText(spec.previewShows)).toBeVisible();
    await this.save("Save criteria", "Criteria saved");

    await this.tab("Users");
    for (const user of spec.requesters) {
      await page.getByLabel("Search the directory").fill(user);
      await page.getByRole("button", { name: `Add ${user}`, exact: true }).click();
      await expect(page.getByRole("listitem", { name: user, exact: true }).getByText("Active", { exact: true })).toBeVisible();
    }

    await this.tab("Approvers");
    for (const a of spec.approvers) {
      await page.getByLabel("Search people").fill(a.username);
      await page.getByRole("button", { name: `Add ${a.username}`, exact: true }).click();
    }
    const approvers = page.getByRole("list", { name: "Approvers" });
    await expect(approvers.getByRole("listitem")).toHaveCount(spec.approvers.length);
    for (const a of spec.approvers.filter((x) => (x.level ?? 1) > 1)) {
      await approvers.getByRole("listitem", { name: a.username, exact: true }).getByLabel("Level").fill(String(a.level));
      await expect(page.getByLabel(`Approvals needed at level ${a.level}`)).toBeVisible();
    }
    await this.save("Save approvers", "Approvers saved");
  }
}
