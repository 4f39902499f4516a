import { expect, type Locator, type Page } from "@playwright/test";

export class RolesPage {
  constructor(readonly page: Page) {}
  heading = () => this.page.getByRole("heading", { name: "Request access" });
  async goto() {
    await this.page.goto("/roles");
  }
  /** The card of a requestable privilege, found by its heading. */
  card(privilege: string): Locator {
    return this.page
      .locator("article, li, section")
      .filter({ has: this.page.getByRole("heading", { name: privilege, exact: true }) })
      .first();
  }
  /** Requests from the privilege's card; its form's fields are looked up in the card (the Sessions section has a "Justification" too). */
  async request(privilege: string, minutes: number, justification: string) {
    const card = this.card(privilege);
    await card.getByRole("button", { name: "Request" }).click();
    await card.getByLabel("Duration (minutes)").fill(String(minutes));
    await card.getByLabel("Justification").fill(justification);
    await card.getByRole("button", { name: "Submit request" }).click();
  }
  myAccess(): Locator {
    return this.page.locator("section").filter({ has: this.page.getByRole("heading", { name: "My access" }) });
  }
  /** The newest row of "My access" for a privilege. */
  accessRow(privilege: string): Locator {
    return this.myAccess().getByRole("listitem").filter({ hasText: privilege }).first();
  }
  /** Ends a grant from its row ("End now", confirm) and waits until the row says it is revoked. */
  async endNow(row: Locator) {
    await row.getByRole("button", { name: "End now" }).click();
    await row.getByRole("button", { name: "Confirm end now" }).click();
    await expect(row.getByText("Revoked", { exact: true })).toBeVisible({ timeout: 30_000 });
  }
}
