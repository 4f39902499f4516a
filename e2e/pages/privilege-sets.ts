import { expect, type Locator, type Page } from "@playwright/test";

export class PrivilegeSetsPage {
  constructor(readonly page: Page) {}
  heading = () => this.page.getByRole("heading", { level: 1, name: "Privilege sets" });
  async goto() {
    await this.page.goto("/admin/privilege-sets");
  }
  /** The create form, opened; reloads until the catalog sync has brought `account` into it. */
  async openCreateForm(account: string): Promise<Locator> {
    const form = this.page.getByRole("form", { name: "New privilege set" });
    await expect(async () => {
      await this.goto();
      await this.page.getByRole("button", { name: "Create a privilege set" }).click();
      await expect(form.getByRole("checkbox", { name: account })).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 60_000 });
    return form;
  }
  /** A set's card, by its name. */
  card(name: string): Locator {
    return this.page.getByRole("article", { name });
  }
}
