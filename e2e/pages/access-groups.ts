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
}
